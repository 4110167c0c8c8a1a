package dev.portcullis.threatmodel.diagram;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import net.sourceforge.plantuml.BlockUml;
import net.sourceforge.plantuml.ErrorUml;
import net.sourceforge.plantuml.FileFormat;
import net.sourceforge.plantuml.FileFormatOption;
import net.sourceforge.plantuml.SourceStringReader;
import net.sourceforge.plantuml.core.Diagram;
import net.sourceforge.plantuml.error.PSystemError;

/**
 * Renders one PlantUML source to SVG with PlantUML's built-in Smetana layout, so no Graphviz is
 * needed. PlantUML does not throw on a bad source: it draws an image of the error. This class turns
 * every such case into a {@link DiagramException}.
 */
public final class DiagramRenderer {

    /** Every source must ask for Smetana; otherwise PlantUML looks for Graphviz's {@code dot}. */
    static final Pattern SMETANA_PRAGMA =
            Pattern.compile("^\\s*!pragma\\s+layout\\s+smetana\\s*$", Pattern.MULTILINE);

    /**
     * Texts PlantUML puts into an image when it could not draw the diagram (syntax errors, a missing
     * layout engine, an internal crash). Lower case; the SVG is compared in lower case.
     */
    static final List<String> ERROR_IMAGE_MARKERS = List.of(
            "syntax error",
            "cannot find graphviz",
            "dot executable",
            "an error has occured",
            "an error has occurred");

    /** A diagram of the threat model must fit on one page; more than one block means a stray {@code @startuml}. */
    static final int BLOCKS_PER_SOURCE = 1;

    /**
     * Renders {@code source} to SVG.
     *
     * @param name used in messages only
     * @throws DiagramException if PlantUML reports an error or draws its error image
     */
    public String renderSvg(String name, String source) throws DiagramException {
        if (!SMETANA_PRAGMA.matcher(source).find()) {
            throw new DiagramException(name + ": missing '!pragma layout smetana' (the build has no Graphviz)");
        }
        SourceStringReader reader = new SourceStringReader(source);
        List<BlockUml> blocks = reader.getBlocks();
        if (blocks.size() != BLOCKS_PER_SOURCE) {
            throw new DiagramException(name + ": expected exactly one @startuml … @enduml block, found " + blocks.size());
        }
        Diagram diagram = blocks.get(0).getDiagram();
        if (diagram instanceof PSystemError error) {
            ErrorUml first = error.getFirstError();
            String where = first == null || first.getLineLocation() == null
                    ? "?" : String.valueOf(first.getLineLocation().getPosition() + 1);
            String what = first == null ? "unknown error" : first.getError();
            throw new DiagramException(name + ": PlantUML error at line " + where + ": " + what);
        }
        String warning = diagram.getWarningOrError();
        if (warning != null && !warning.isBlank()) {
            throw new DiagramException(name + ": PlantUML reported: " + warning.strip());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            reader.outputImage(out, new FileFormatOption(FileFormat.SVG));
        } catch (IOException | RuntimeException e) {
            throw new DiagramException(name + ": rendering failed: " + e);
        }
        String svg = out.toString(StandardCharsets.UTF_8);
        checkIsARealDrawing(name, svg);
        return svg;
    }

    static void checkIsARealDrawing(String name, String svg) throws DiagramException {
        if (!svg.contains("<svg")) {
            throw new DiagramException(name + ": PlantUML produced no SVG");
        }
        String lower = svg.toLowerCase(Locale.ROOT);
        for (String marker : ERROR_IMAGE_MARKERS) {
            if (lower.contains(marker)) {
                throw new DiagramException(name + ": PlantUML drew its error image ('" + marker + "' in the SVG)");
            }
        }
    }
}
