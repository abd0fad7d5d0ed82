package io.jlora.kernel.execution;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** Rewrites a class's bytecode method by method, through a visitor chosen for each method. */
final class MethodRewriter {
    /** The visitor that rewrites one method before {@code next}, or {@code next} itself to keep it as it is. */
    interface PerMethod {
        MethodVisitor wrap(int access, String name, MethodVisitor next);
    }

    private MethodRewriter() {
    }

    static byte[] rewrite(byte[] classBytes, PerMethod perMethod) {
        ClassReader reader = new ClassReader(classBytes);
        ClassWriter writer = new ClassWriter(reader, 0);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
                return next == null ? null : perMethod.wrap(access, name, next);
            }
        }, 0);
        return writer.toByteArray();
    }
}
