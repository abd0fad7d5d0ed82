package io.jlora.kernel.magic;

/** A {@code %%name args} first line; the rest of the cell is the body. */
@FunctionalInterface
public interface CellMagic {
    Object run(String args, String body) throws Exception;
}
