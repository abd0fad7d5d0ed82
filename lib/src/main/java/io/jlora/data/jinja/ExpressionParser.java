package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import static io.jlora.data.jinja.Access.attribute;
import static io.jlora.data.jinja.Access.call;
import static io.jlora.data.jinja.Access.item;
import static io.jlora.data.jinja.Access.slice;
import static io.jlora.data.jinja.Args.evalAll;
import static io.jlora.data.jinja.Py.arithmetic;
import static io.jlora.data.jinja.Py.compareValues;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.truthy;

/**
 * Jinja expressions, lowest precedence first as in Jinja2's parser (conditional, or, and, not,
 * comparisons and {@code in}, {@code + -}, {@code ~}, {@code * / // %}, unary minus, filters and
 * tests, postfix access and calls, literals), each compiled into an {@link Expr} closure.
 *
 * <p>Over 350 lines because the grammar is one mutually recursive descent, one method per
 * precedence level, read top to bottom as Jinja2's own parser; splitting the levels across classes
 * would hide the precedence order that the file now shows.
 */
class ExpressionParser extends TokenCursor {

    ExpressionParser(List<Token> tokens) {
        super(tokens);
    }

    // expressions, lowest precedence first, as Jinja2's parser

    Expr expression() {
        Expr value = ternaryFree();
        if (peek().isName("if")) {
            i++;
            Expr condition = ternaryFree();
            Expr otherwise;
            if (peek().isName("else")) {
                i++;
                otherwise = expression();
            } else {
                otherwise = s -> new Undefined("else branch");
            }
            Expr v = value;
            return s -> truthy(condition.eval(s)) ? v.eval(s) : otherwise.eval(s);
        }
        return value;
    }

    /** An expression without a trailing "x if c else y" (as in for-loop headers). */
    Expr ternaryFree() {
        return or();
    }

    private Expr or() {
        Expr left = and();
        while (peek().isName("or")) {
            i++;
            Expr l = left;
            Expr r = and();
            left = s -> {
                Object a = l.eval(s);
                return truthy(a) ? a : r.eval(s);
            };
        }
        return left;
    }

    private Expr and() {
        Expr left = not();
        while (peek().isName("and")) {
            i++;
            Expr l = left;
            Expr r = not();
            left = s -> {
                Object a = l.eval(s);
                return !truthy(a) ? a : r.eval(s);
            };
        }
        return left;
    }

    private Expr not() {
        if (peek().isName("not")) {
            i++;
            Expr e = not();
            return s -> !truthy(e.eval(s));
        }
        return compare();
    }

    private Expr compare() {
        Expr left = math1();
        while (true) {
            Token t = peek();
            String op;
            if (t.type() == TokenType.OP && (t.text().equals("==") || t.text().equals("!=") || t.text().equals("<")
                    || t.text().equals(">") || t.text().equals("<=") || t.text().equals(">="))) {
                op = t.text();
                i++;
            } else if (t.isName("in")) {
                op = "in";
                i++;
            } else if (t.isName("not") && tokens.get(i + 1).isName("in")) {
                op = "not in";
                i += 2;
            } else {
                return left;
            }
            Expr l = left;
            Expr r = math1();
            String o = op;
            int line = t.line();
            left = s -> compareValues(o, l.eval(s), r.eval(s), line);
        }
    }

    private Expr math1() {
        Expr left = concat();
        while (peek().is(TokenType.OP, "+") || peek().is(TokenType.OP, "-")) {
            Token t = next();
            Expr l = left;
            Expr r = concat();
            left = s -> arithmetic(t.text(), l.eval(s), r.eval(s), t.line());
        }
        return left;
    }

    private Expr concat() {
        Expr left = math2();
        while (peek().is(TokenType.OP, "~")) {
            i++;
            Expr l = left;
            Expr r = math2();
            left = s -> str(l.eval(s)) + str(r.eval(s));
        }
        return left;
    }

    private Expr math2() {
        Expr left = pow();
        while (peek().is(TokenType.OP, "*") || peek().is(TokenType.OP, "/") || peek().is(TokenType.OP, "//")
                || peek().is(TokenType.OP, "%")) {
            Token t = next();
            Expr l = left;
            Expr r = pow();
            left = s -> arithmetic(t.text(), l.eval(s), r.eval(s), t.line());
        }
        return left;
    }

    private Expr pow() {
        Expr left = unary(true);
        while (peek().is(TokenType.OP, "**")) {
            Token t = next();
            Expr l = left;
            Expr r = unary(true);
            left = s -> arithmetic("**", l.eval(s), r.eval(s), t.line());
        }
        return left;
    }

    /** As Jinja2: in {@code -x|f} the filter applies to {@code -x}. */
    private Expr unary(boolean withFilters) {
        Expr e;
        if (peek().is(TokenType.OP, "-")) {
            Token t = next();
            Expr operand = unary(false);
            e = s -> arithmetic("-", 0L, operand.eval(s), t.line());
        } else if (peek().is(TokenType.OP, "+")) {
            i++;
            e = unary(false);
        } else {
            e = postfix(primary());
        }
        return withFilters ? filters(e) : e;
    }

    private Expr primary() {
        Token t = next();
        switch (t.type()) {
            case STRING: {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().type() == TokenType.STRING) { // adjacent literals concatenate
                    sb.append(next().text());
                }
                String v = sb.toString();
                return s -> v;
            }
            case INT: {
                long v;
                try {
                    v = Long.parseLong(t.text());
                } catch (NumberFormatException e) {
                    throw error(t, "integer " + t.text() + " is too large");
                }
                return s -> v;
            }
            case FLOAT: {
                double v = Double.parseDouble(t.text());
                return s -> v;
            }
            case NAME:
                switch (t.text()) {
                    case "true":
                    case "True":
                        return s -> Boolean.TRUE;
                    case "false":
                    case "False":
                        return s -> Boolean.FALSE;
                    case "none":
                    case "None":
                        return s -> null;
                    default:
                        return s -> s.get(t.text());
                }
            case OP:
                if (t.text().equals("(")) {
                    Expr e = expression();
                    if (peek().is(TokenType.OP, ",")) {
                        List<Expr> items = new ArrayList<>(List.of(e));
                        while (peek().is(TokenType.OP, ",")) {
                            i++;
                            if (peek().is(TokenType.OP, ")")) {
                                break;
                            }
                            items.add(expression());
                        }
                        expect(TokenType.OP, ")");
                        return s -> new PyTuple(evalAll(items, s));
                    }
                    expect(TokenType.OP, ")");
                    return e;
                }
                if (t.text().equals("[")) {
                    List<Expr> items = new ArrayList<>();
                    while (!peek().is(TokenType.OP, "]")) {
                        items.add(expression());
                        if (!peek().is(TokenType.OP, ",")) {
                            break;
                        }
                        i++;
                    }
                    expect(TokenType.OP, "]");
                    return s -> evalAll(items, s);
                }
                if (t.text().equals("{")) {
                    List<Expr[]> entries = new ArrayList<>();
                    while (!peek().is(TokenType.OP, "}")) {
                        Expr k = expression();
                        expect(TokenType.OP, ":");
                        entries.add(new Expr[] {k, expression()});
                        if (!peek().is(TokenType.OP, ",")) {
                            break;
                        }
                        i++;
                    }
                    expect(TokenType.OP, "}");
                    return s -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        for (Expr[] e : entries) {
                            m.put(str(e[0].eval(s)), e[1].eval(s));
                        }
                        return m;
                    };
                }
                break;
            default:
                break;
        }
        throw error(t, "unexpected '" + t.text() + "' in expression");
    }

    private Expr postfix(Expr target) {
        while (true) {
            Token t = peek();
            if (t.is(TokenType.OP, ".")) {
                i++;
                String attr = name();
                Expr o = target;
                target = s -> attribute(o.eval(s), attr, t.line());
            } else if (t.is(TokenType.OP, "[")) {
                i++;
                Expr o = target;
                Expr[] slice = new Expr[3];
                boolean isSlice = false;
                int part = 0;
                while (!peek().is(TokenType.OP, "]")) {
                    if (peek().is(TokenType.OP, ":")) {
                        i++;
                        isSlice = true;
                        part++;
                        if (part > 2) {
                            throw error(t, "bad slice");
                        }
                        continue;
                    }
                    slice[part] = expression();
                }
                expect(TokenType.OP, "]");
                if (isSlice) {
                    target = s -> slice(o.eval(s), slice[0] == null ? null : slice[0].eval(s),
                            slice[1] == null ? null : slice[1].eval(s), slice[2] == null ? null : slice[2].eval(s), t.line());
                } else {
                    Expr key = slice[0];
                    target = s -> item(o.eval(s), key.eval(s), t.line());
                }
            } else if (t.is(TokenType.OP, "(")) {
                i++;
                Args args = arguments();
                Expr o = target;
                target = s -> call(o.eval(s), args.eval(s), t.line());
            } else {
                return target;
            }
        }
    }

    private Expr filters(Expr target) {
        while (true) {
            Token t = peek();
            if (t.is(TokenType.OP, "|")) {
                i++;
                String name = name();
                Args args = peek().is(TokenType.OP, "(") ? argumentsAfterParen() : Args.NONE;
                Expr o = target;
                target = s -> Filters.filter(name, o.eval(s), args.eval(s), t.line());
            } else if (t.isName("is")) {
                i++;
                boolean negate = false;
                if (peek().isName("not")) {
                    i++;
                    negate = true;
                }
                Token testToken = next();
                String test = testToken.text();
                if (testToken.type() == TokenType.OP && test.equals("==")) {
                    test = "eq";
                } else if (testToken.type() != TokenType.NAME) {
                    throw error(testToken, "expected a test name after 'is'");
                }
                Args args;
                if (peek().is(TokenType.OP, "(")) {
                    args = argumentsAfterParen();
                } else if (startsOperand(peek())) {
                    Expr arg = primary();
                    args = new Args(List.of(arg), Map.of());
                } else {
                    args = Args.NONE;
                }
                Expr o = target;
                String tn = test;
                boolean neg = negate;
                target = s -> neg != Tests.test(tn, o.eval(s), args.eval(s).positional(), t.line());
            } else {
                return target;
            }
        }
    }

    private boolean startsOperand(Token t) {
        return t.type() == TokenType.STRING || t.type() == TokenType.INT || t.type() == TokenType.FLOAT
                || (t.type() == TokenType.NAME && !List.of("and", "or", "not", "in", "is", "if", "else").contains(t.text()));
    }

    private Args argumentsAfterParen() {
        expect(TokenType.OP, "(");
        return arguments();
    }

    /** Arguments after "(" up to and including ")". */
    private Args arguments() {
        List<Expr> positional = new ArrayList<>();
        Map<String, Expr> named = new LinkedHashMap<>();
        while (!peek().is(TokenType.OP, ")")) {
            if (peek().type() == TokenType.NAME && tokens.get(i + 1).is(TokenType.OP, "=")) {
                String n = next().text();
                i++;
                named.put(n, expression());
            } else {
                positional.add(expression());
            }
            if (!peek().is(TokenType.OP, ",")) {
                break;
            }
            i++;
        }
        expect(TokenType.OP, ")");
        return new Args(positional, named);
    }
}
