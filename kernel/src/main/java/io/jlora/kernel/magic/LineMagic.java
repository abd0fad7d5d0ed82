package io.jlora.kernel.magic;

/** A {@code %name args} line in a cell. What it returns (if not null) is shown like an expression's value. */
@FunctionalInterface
public interface LineMagic {
    Object run(String args) throws Exception;
}
