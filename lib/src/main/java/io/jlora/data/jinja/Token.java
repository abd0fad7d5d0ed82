package io.jlora.data.jinja;

/** One token of a template, with the source line it starts on (for error messages). */
record Token(TokenType type, String text, int line) {
    boolean is(TokenType t, String s) {
        return type == t && text.equals(s);
    }

    boolean isName(String s) {
        return is(TokenType.NAME, s);
    }
}
