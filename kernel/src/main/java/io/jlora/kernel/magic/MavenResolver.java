package io.jlora.kernel.magic;

import org.apache.ivy.Ivy;
import org.apache.ivy.core.module.descriptor.DefaultDependencyDescriptor;
import org.apache.ivy.core.module.descriptor.DefaultModuleDescriptor;
import org.apache.ivy.core.module.id.ModuleRevisionId;
import org.apache.ivy.core.report.ArtifactDownloadReport;
import org.apache.ivy.core.report.ResolveReport;
import org.apache.ivy.core.resolve.ResolveOptions;
import org.apache.ivy.core.settings.IvySettings;
import org.apache.ivy.plugins.resolver.ChainResolver;
import org.apache.ivy.plugins.resolver.IBiblioResolver;
import org.apache.ivy.util.DefaultMessageLogger;
import org.apache.ivy.util.Message;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves {@code group:artifact:version} with its runtime dependencies, the way Maven would, for
 * {@code %maven}: the local Maven repository first (so it works offline), then Maven Central.
 * Apache Ivy does the work; it is one jar and reads Maven POMs.
 */
final class MavenResolver {
    private final Path localRepository;
    private final Path cache;
    private final boolean offline;

    MavenResolver(Path localRepository, Path cache, boolean offline) {
        this.localRepository = localRepository;
        this.cache = cache;
        this.offline = offline;
    }

    static MavenResolver defaults() {
        Path home = Path.of(System.getProperty("user.home"));
        // -Djlora.maven.offline=true: use only the local repository (no network at all)
        boolean offline = Boolean.getBoolean("jlora.maven.offline");
        return new MavenResolver(home.resolve(".m2/repository"), home.resolve(".cache/jlora/ivy"), offline);
    }

    List<File> resolve(String coordinates) throws Exception {
        String[] parts = coordinates.split(":");
        if (parts.length != 3 || java.util.Arrays.stream(parts).anyMatch(String::isBlank)) {
            throw new MagicException("%maven wants group:artifact:version, got '" + coordinates + "'");
        }
        Message.setDefaultLogger(new DefaultMessageLogger(Message.MSG_ERR));
        IvySettings settings = new IvySettings();
        settings.setDefaultCache(cache.toFile());
        ChainResolver chain = new ChainResolver();
        chain.setName("chain");
        chain.add(repository("local", localRepository.toUri().toString()));
        if (!offline) chain.add(repository("central", "https://repo1.maven.org/maven2/"));
        settings.addResolver(chain);
        settings.setDefaultResolver(chain.getName());
        Ivy ivy = Ivy.newInstance(settings);

        ModuleRevisionId wanted = ModuleRevisionId.newInstance(parts[0], parts[1], parts[2]);
        DefaultModuleDescriptor caller = DefaultModuleDescriptor.newCallerInstance(wanted, new String[] {"default"}, true, false);
        DefaultDependencyDescriptor dependency = new DefaultDependencyDescriptor(caller, wanted, false, false, true);
        dependency.addDependencyConfiguration("default", "runtime");
        caller.addDependency(dependency);
        ResolveOptions options = new ResolveOptions().setConfs(new String[] {"default"}).setTransitive(true).setDownload(true);
        ResolveReport report = ivy.resolve(caller, options);
        if (report.hasError()) {
            throw new MagicException("cannot resolve " + coordinates + ": " + String.join("; ", report.getAllProblemMessages()));
        }
        List<File> jars = new ArrayList<>();
        for (ArtifactDownloadReport artifact : report.getAllArtifactsReports()) {
            if (artifact.getLocalFile() != null && artifact.getLocalFile().getName().endsWith(".jar")) jars.add(artifact.getLocalFile());
        }
        return jars;
    }

    private static IBiblioResolver repository(String name, String root) {
        IBiblioResolver resolver = new IBiblioResolver();
        resolver.setName(name);
        resolver.setRoot(root);
        resolver.setM2compatible(true);
        resolver.setUsepoms(true);
        return resolver;
    }
}
