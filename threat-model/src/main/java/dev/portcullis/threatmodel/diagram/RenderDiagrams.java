package dev.portcullis.threatmodel.diagram;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The build step: renders every {@code *.puml} in a directory to {@code NAME.svg} in another.
 * Run by the exec-maven-plugin in {@code process-classes}; any diagram that does not render fails
 * the build (an exception, never {@code System.exit}, since it runs inside Maven's JVM).
 */
public final class RenderDiagrams {

    private RenderDiagrams() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: RenderDiagrams <source dir> <output dir>");
        }
        List<Path> written = renderAll(Path.of(args[0]), Path.of(args[1]));
        System.out.println("[threat-model] rendered " + written.size() + " diagrams to " + Path.of(args[1]));
    }

    /** Renders every source; reports every failure at once, not only the first. */
    public static List<Path> renderAll(Path sourceDir, Path outputDir) throws IOException {
        List<Path> sources = sources(sourceDir);
        if (sources.isEmpty()) {
            throw new IllegalStateException("no *.puml diagrams in " + sourceDir);
        }
        Files.createDirectories(outputDir);
        DiagramRenderer renderer = new DiagramRenderer();
        List<String> failures = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        for (Path source : sources) {
            String name = source.getFileName().toString();
            try {
                String svg = renderer.renderSvg(name, Files.readString(source, StandardCharsets.UTF_8));
                Path target = outputDir.resolve(svgName(name));
                Files.writeString(target, svg, StandardCharsets.UTF_8);
                written.add(target);
            } catch (DiagramException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("diagrams that did not render:\n  " + String.join("\n  ", failures));
        }
        return written;
    }

    public static List<Path> sources(Path sourceDir) throws IOException {
        try (Stream<Path> files = Files.list(sourceDir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".puml")).sorted().toList();
        }
    }

    public static String svgName(String pumlName) {
        return pumlName.substring(0, pumlName.length() - ".puml".length()) + ".svg";
    }
}
