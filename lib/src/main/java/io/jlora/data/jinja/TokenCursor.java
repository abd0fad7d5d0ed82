package io.jlora.data.jinja;

import java.util.List;

/** The parsers' position in the token list, and their error messages (which name the line). */
class TokenCursor {
    final List<Token> tokens;
    int i;

    TokenCursor(List<Token> tokens) {
        this.tokens = tokens;
    }

    String name() {
        Token t = next();
        if (t.type() != TokenType.NAME) {
            throw error(t, "expected a name, found '" + t.text() + "'");
        }
        return t.text();
    }

    Token peek() {
        return tokens.get(i);
    }

    Token next() {
        return tokens.get(i++);
    }

    void expect(TokenType type, String text) {
        Token t = next();
        if (t.type() != type || (type == TokenType.OP && !t.text().equals(text))) {
            throw error(t, "expected '" + text + "', found '" + (t.text().isEmpty() ? t.type() : t.text()) + "'");
        }
    }

    static TemplateException error(Token at, String message) {
        return new TemplateException("template line " + at.line() + ": " + message, false);
    }
}
