package io.jlora.kernel.runtime;

import java.util.UUID;

/** The stand-in outside a kernel: displays print their text form on standard output. */
final class ConsoleNotebook implements Notebook {
    @Override
    public String display(Object value, String displayId) {
        System.out.println(value instanceof RichText rich ? rich.text() : String.valueOf(value));
        return displayId != null ? displayId : UUID.randomUUID().toString();
    }

    @Override
    public void updateDisplay(String displayId, Object value) {
        display(value, displayId);
    }

    @Override
    public void clearOutput(boolean wait) {
    }

    @Override
    public boolean isRich() {
        return false;
    }
}
