package io.jlora.kernel.execution;

import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Rewrites the bytecode JShell produces for a cell so that it polls {@link StopSignal#check()} at the
 * start of every method and before every jump: any loop or recursion then stops soon after an interrupt.
 * The inserted call takes and leaves nothing on the stack, so frames and max stack stay valid.
 */
final class InterruptInstrumenter {
    private static final String OWNER = StopSignal.class.getName().replace('.', '/');

    private InterruptInstrumenter() {
    }

    static byte[] instrument(byte[] classBytes) {
        return MethodRewriter.rewrite(classBytes, (access, name, next) ->
                (access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0 ? next : new CheckInserter(next, "<init>".equals(name)));
    }

    private static final class CheckInserter extends MethodVisitor {
        /** In a constructor nothing may run before super(): only the jumps get checks. */
        private final boolean constructor;

        CheckInserter(MethodVisitor next, boolean constructor) {
            super(Opcodes.ASM9, next);
            this.constructor = constructor;
        }

        private void check() {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, OWNER, "check", "()V", false);
        }

        @Override
        public void visitCode() {
            super.visitCode();
            if (!constructor) check();
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            check();
            super.visitJumpInsn(opcode, label);
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            // the key is on the stack; a void static call leaves it there
            check();
            super.visitTableSwitchInsn(min, max, dflt, labels);
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            check();
            super.visitLookupSwitchInsn(dflt, keys, labels);
        }
    }
}
