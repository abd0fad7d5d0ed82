package io.jlora.data.jinja;

import io.jlora.data.jinja.Node.Control;
import io.jlora.data.jinja.Node.For;
import io.jlora.data.jinja.Node.Generation;
import io.jlora.data.jinja.Node.If;
import io.jlora.data.jinja.Node.Macro;
import io.jlora.data.jinja.Node.Output;
import io.jlora.data.jinja.Node.Set;
import io.jlora.data.jinja.Node.Text;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokens to the syntax tree: text, output and the statements chat templates use ({@code if},
 * {@code for}, {@code set}, {@code break}/{@code continue}, {@code generation}, {@code macro}); expressions are
 * {@link ExpressionParser}'s. Anything else fails naming the tag and its line.
 */
final class Parser extends ExpressionParser {

    Parser(List<Token> tokens) {
        super(tokens);
    }

    /** The whole template; fails on a closing tag nothing opened. */
    List<Node> template() {
        List<Node> body = block();
        if (peek().type() != TokenType.EOF) {
            Token t = peek();
            throw error(t, "unexpected '{% " + tokens.get(i + 1).text() + " %}'");
        }
        return body;
    }

    /** Nodes until EOF or a tag whose keyword the caller handles (end*, else, elif). */
    private List<Node> block() {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case EOF:
                    return nodes;
                case TEXT:
                    i++;
                    nodes.add(new Text(t.text()));
                    break;
                case OUT_OPEN: {
                    i++;
                    Expr e = expression();
                    expect(TokenType.OUT_CLOSE, "}}");
                    nodes.add(new Output(e));
                    break;
                }
                case TAG_OPEN: {
                    Token keyword = tokens.get(i + 1);
                    String k = keyword.text();
                    if (k.startsWith("end") || k.equals("else") || k.equals("elif")) {
                        return nodes;
                    }
                    i += 2;
                    nodes.add(statement(keyword));
                    break;
                }
                default:
                    throw error(t, "unexpected '" + t.text() + "'");
            }
        }
    }

    private Node statement(Token keyword) {
        switch (keyword.text()) {
            case "if": {
                List<Expr> conditions = new ArrayList<>();
                List<List<Node>> branches = new ArrayList<>();
                conditions.add(expression());
                expect(TokenType.TAG_CLOSE, "%}");
                branches.add(block());
                List<Node> otherwise = List.of();
                while (true) {
                    String k = closingKeyword(keyword, "endif");
                    if (k.equals("elif")) {
                        conditions.add(expression());
                        expect(TokenType.TAG_CLOSE, "%}");
                        branches.add(block());
                    } else if (k.equals("else")) {
                        expect(TokenType.TAG_CLOSE, "%}");
                        otherwise = block();
                    } else if (k.equals("endif")) {
                        expect(TokenType.TAG_CLOSE, "%}");
                        return new If(conditions, branches, otherwise);
                    } else {
                        throw error(keyword, "'{% " + k + " %}' where '{% endif %}' was expected");
                    }
                }
            }
            case "for": {
                List<String> targets = new ArrayList<>();
                targets.add(name());
                while (peek().is(TokenType.OP, ",")) {
                    i++;
                    targets.add(name());
                }
                if (!next().isName("in")) {
                    throw error(keyword, "expected 'in' in for loop");
                }
                Expr iterable = ternaryFree();
                Expr filter = null;
                if (peek().isName("if")) {
                    i++;
                    filter = ternaryFree();
                }
                if (peek().isName("recursive")) {
                    throw error(keyword, "recursive loops are not supported");
                }
                expect(TokenType.TAG_CLOSE, "%}");
                List<Node> body = block();
                List<Node> otherwise = List.of();
                String k = closingKeyword(keyword, "endfor");
                if (k.equals("else")) {
                    expect(TokenType.TAG_CLOSE, "%}");
                    otherwise = block();
                    k = closingKeyword(keyword, "endfor");
                }
                if (!k.equals("endfor")) {
                    throw error(keyword, "'" + k + "' inside a for loop");
                }
                expect(TokenType.TAG_CLOSE, "%}");
                return new For(targets, iterable, filter, body, otherwise, keyword.line());
            }
            case "set": {
                String target = name();
                String attribute = null;
                if (peek().is(TokenType.OP, ".")) {
                    i++;
                    attribute = name();
                }
                if (peek().type() == TokenType.TAG_CLOSE) {
                    i++;
                    List<Node> body = block();
                    if (!closingKeyword(keyword, "endset").equals("endset")) {
                        throw error(keyword, "expected '{% endset %}'");
                    }
                    expect(TokenType.TAG_CLOSE, "%}");
                    return new Set(target, attribute, null, body);
                }
                expect(TokenType.OP, "=");
                Expr value = expression();
                if (peek().is(TokenType.OP, ",")) {
                    throw error(keyword, "tuple assignment in 'set' is not supported");
                }
                expect(TokenType.TAG_CLOSE, "%}");
                return new Set(target, attribute, value, null);
            }
            case "break":
            case "continue":
                expect(TokenType.TAG_CLOSE, "%}");
                return new Control(keyword.text().equals("break"));
            case "generation": {
                // transformers' marker of assistant text (return_assistant_tokens_mask): renders its body
                expect(TokenType.TAG_CLOSE, "%}");
                List<Node> body = block();
                if (!closingKeyword(keyword, "endgeneration").equals("endgeneration")) {
                    throw error(keyword, "expected '{% endgeneration %}'");
                }
                expect(TokenType.TAG_CLOSE, "%}");
                return new Generation(body);
            }
            case "macro":
                return macro(keyword);
            default:
                throw error(keyword, "'{% " + keyword.text() + " %}' is not supported by jlora's template subset");
        }
    }

    /** Consumes "{%" and the keyword of the tag that ended a block. */
    private String closingKeyword(Token opener, String end) {
        if (peek().type() != TokenType.TAG_OPEN) {
            throw error(opener, "'{% " + opener.text() + " %}' is not closed by '{% " + end + " %}'");
        }
        i++;
        return next().text();
    }

    private Node macro(Token keyword) {
        String name = name();
        expect(TokenType.OP, "(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().is(TokenType.OP, ")")) {
            params.add(name());
            Expr fallback = null;
            if (peek().is(TokenType.OP, "=")) {
                i++;
                fallback = expression();
            }
            defaults.add(fallback);
            if (!peek().is(TokenType.OP, ",")) {
                break;
            }
            i++;
        }
        expect(TokenType.OP, ")");
        expect(TokenType.TAG_CLOSE, "%}");
        List<Node> body = block();
        if (!closingKeyword(keyword, "endmacro").equals("endmacro")) {
            throw error(keyword, "expected '{% endmacro %}'");
        }
        expect(TokenType.TAG_CLOSE, "%}");
        return new Macro(name, params, defaults, body);
    }
}
