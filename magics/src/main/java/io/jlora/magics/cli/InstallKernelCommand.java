package io.jlora.magics.cli;

import io.jlora.kernel.install.KernelSpecInstaller;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jlora install-kernel [--user | --prefix DIR] [--name jlora]}: writes the Jupyter kernelspec. */
@Command(name = "install-kernel", description = "Installs the Jupyter kernelspec (where 'jupyter kernelspec install' would).")
final class InstallKernelCommand implements Callable<Integer> {
    static final class Where {
        @Option(names = "--user", description = "install for this user (Jupyter's user data folder)")
        boolean user;
        @Option(names = "--prefix", paramLabel = "DIR", description = "install under DIR/share/jupyter/kernels")
        Path prefix;
    }

    @ArgGroup(exclusive = true)
    Where where = new Where();

    @Option(names = "--name", defaultValue = "jlora", description = "kernel name (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--interrupt-mode", defaultValue = "message", description = "message or signal (default: ${DEFAULT-VALUE})")
    String interruptMode;

    @Option(names = "--jvm-option", paramLabel = "OPT", description = "an extra JVM option for the kernel, e.g. -Xmx8g (repeatable)")
    List<String> jvmOptions = new ArrayList<>();

    @Option(names = "--json", description = "print the result as one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        KernelSpecInstaller.InterruptMode mode = switch (interruptMode) {
            case "message" -> KernelSpecInstaller.InterruptMode.MESSAGE;
            case "signal" -> KernelSpecInstaller.InterruptMode.SIGNAL;
            default -> throw new IllegalArgumentException("--interrupt-mode must be message or signal, not '" + interruptMode + "'");
        };
        KernelSpecInstaller.Location location = where.prefix != null ? KernelSpecInstaller.Location.PREFIX
                : where.user ? KernelSpecInstaller.Location.USER : KernelSpecInstaller.Location.SYSTEM;
        Path installed = new KernelSpecInstaller(name, mode, jvmOptions).install(KernelSpecInstaller.kernelsDir(location, where.prefix));
        if (json) {
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                    java.util.Map.of("output", installed.toString(), "name", name)));
        } else {
            System.out.println("installed kernelspec '" + name + "' in " + installed);
        }
        return 0;
    }
}
