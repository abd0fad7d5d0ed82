package io.jlora.kernel.execution;

import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Rewrites the bytecode of a cell so that its calls to {@code System.exit}, {@code Runtime.exit} and
 * {@code Runtime.halt} (direct calls and method references such as {@code System::exit}) go to
 * {@link ExitCalls}, which throws {@link ExitCalledInCell}: the cell fails with a clear error and the kernel
 * lives on. Library code a cell calls is not rewritten; the kernel's shutdown hook reports such exits.
 */
final class ExitCallRedirector {
    private static final String TARGET = ExitCalls.class.getName().replace('.', '/');
    private static final String RUNTIME = "java/lang/Runtime";
    private static final String RUNTIME_CALL = "(Ljava/lang/Runtime;I)V";

    private ExitCallRedirector() {
    }

    static byte[] redirect(byte[] classBytes) {
        return MethodRewriter.rewrite(classBytes, (access, name, next) -> new CallRewriter(next));
    }

    /** The replacement for {@code owner.name descriptor}, or null when the call is not an exit. */
    private static String replacement(String owner, String name, String descriptor) {
        if (!"(I)V".equals(descriptor)) return null;
        if ("java/lang/System".equals(owner) && "exit".equals(name)) return "systemExit";
        if (RUNTIME.equals(owner) && "exit".equals(name)) return "runtimeExit";
        if (RUNTIME.equals(owner) && "halt".equals(name)) return "runtimeHalt";
        return null;
    }

    private static final class CallRewriter extends MethodVisitor {
        CallRewriter(MethodVisitor next) {
            super(Opcodes.ASM9, next);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            String target = replacement(owner, name, descriptor);
            if (target == null) {
                super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
            } else {
                // invokevirtual Runtime.exit(I) pops [runtime, int]: the static stand-in takes both
                String newDescriptor = opcode == Opcodes.INVOKESTATIC ? descriptor : RUNTIME_CALL;
                super.visitMethodInsn(Opcodes.INVOKESTATIC, TARGET, target, newDescriptor, false);
            }
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bootstrap, Object... arguments) {
            Object[] rewritten = arguments.clone();
            for (int i = 0; i < rewritten.length; i++) {
                if (rewritten[i] instanceof Handle handle) rewritten[i] = redirect(handle);
            }
            super.visitInvokeDynamicInsn(name, descriptor, bootstrap, rewritten);
        }

        /** A method reference to an exit method becomes one to its stand-in (a bound receiver becomes the first argument). */
        private static Handle redirect(Handle handle) {
            String target = replacement(handle.getOwner(), handle.getName(), handle.getDesc());
            if (target == null) return handle;
            String descriptor = handle.getTag() == Opcodes.H_INVOKESTATIC ? handle.getDesc() : RUNTIME_CALL;
            return new Handle(Opcodes.H_INVOKESTATIC, TARGET, target, descriptor, false);
        }
    }
}
