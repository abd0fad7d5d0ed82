package io.jlora.magics.commands;

import io.jlora.kernel.install.KernelSpecInstaller;
import io.jlora.magics.CommandResult;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code install-kernel [--user | --prefix DIR] [--name jlora]}: writes the Jupyter kernelspec. */
@Command(name = "install-kernel", description = "Installs the Jupyter kernelspec where 'jupyter kernelspec install' would (CLI only).",
        footer = {"%nExample:%n  install-kernel --user --jvm-option -Xmx8g"})
public final class InstallKernelCommand extends LoraCommand {
    static final class Where {
        @Option(names = "--user", description = "install for this user (Jupyter's user data folder)", paramLabel = "BOOL")
        boolean user;
        @Option(names = "--prefix", paramLabel = "DIR", description = "install under DIR/share/jupyter/kernels")
        Path prefix;
    }

    @ArgGroup(exclusive = true)
    Where where = new Where();

    @Option(names = "--name", defaultValue = "jlora", description = "kernel name (default: ${DEFAULT-VALUE})", paramLabel = "NAME")
    String name;

    @Option(names = "--interrupt-mode", defaultValue = "message", description = "message or signal (default: ${DEFAULT-VALUE})", paramLabel = "MODE")
    KernelSpecInstaller.InterruptMode interruptMode;

    @Option(names = "--jvm-option", paramLabel = "OPT", description = "an extra JVM option for the kernel, e.g. -Xmx8g (repeatable)")
    List<String> jvmOptions = new ArrayList<>();

    @Option(names = "--no-class-archive", description = "skip the class-data-sharing archive that speeds up kernel starts", paramLabel = "BOOL")
    boolean noClassArchive;

    @Override
    public boolean cliOnly() {
        return true;
    }

    @Override
    public CommandResult execute() throws Exception {
        KernelSpecInstaller.Location location = where.prefix != null ? KernelSpecInstaller.Location.PREFIX
                : where.user ? KernelSpecInstaller.Location.USER : KernelSpecInstaller.Location.SYSTEM;
        Path installed = new KernelSpecInstaller(name, interruptMode, jvmOptions, !noClassArchive).install(KernelSpecInstaller.kernelsDir(location, where.prefix));
        return new CommandResult() {
            @Override
            public String text() {
                return "installed kernelspec '" + name + "' in " + installed;
            }

            @Override
            public Map<String, Object> json() {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("output", installed.toString());
                j.put("name", name);
                return j;
            }
        };
    }
}
