package io.jlora.data.jinja;

/** The kinds of token the {@link Lexer} makes: text between tags, tag delimiters, expression parts. */
enum TokenType { TEXT, OUT_OPEN, OUT_CLOSE, TAG_OPEN, TAG_CLOSE, NAME, STRING, INT, FLOAT, OP, EOF }
