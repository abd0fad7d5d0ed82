package io.jlora.magics.commands;

import ai.djl.engine.Engine;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: jlora's version, DJL's, and the libtorch DJL runs on. */
public final class VersionProvider implements IVersionProvider {
    /** jlora's version: the jar's manifest, else the build's. */
    static String jloraVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }

    @Override
    public String[] getVersion() {
        String torch;
        try {
            torch = Engine.getEngine("PyTorch").getVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            torch = "not loadable (" + e.getMessage() + ")";
        }
        return new String[] {"jlora " + jloraVersion(), "DJL " + Engine.getDjlVersion(), "libtorch " + torch};
    }
}
