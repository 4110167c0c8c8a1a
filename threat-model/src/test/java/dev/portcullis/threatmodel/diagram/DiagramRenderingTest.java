package dev.portcullis.threatmodel.diagram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import net.sourceforge.plantuml.FileFormat;
import net.sourceforge.plantuml.FileFormatOption;
import net.sourceforge.plantuml.SourceStringReader;

/** The build rendered every diagram to a real SVG, and a diagram PlantUML cannot draw fails. */
class DiagramRenderingTest {

    private static final Path SOURCES = Path.of(System.getProperty("threatmodel.diagrams.source"));
    private static final Path RENDERED = Path.of(System.getProperty("threatmodel.diagrams.output"));

    /** The diagrams the issue asks for; more may be added. */
    private static final List<String> REQUIRED = List.of(
            "context.puml", "dfd-adoption.puml", "dfd-enrollment.puml", "dfd-tunnel-session.puml", "dfd-audit.puml");

    private final DiagramRenderer renderer = new DiagramRenderer();

    @Test
    void theRequiredDiagramsExistAsSources() throws IOException {
        assertThat(RenderDiagrams.sources(SOURCES)).extracting(p -> p.getFileName().toString())
                .containsAll(REQUIRED);
    }

    @Test
    void theBuildRenderedEverySourceToAnSvgThatIsADrawingNotAnErrorImage() throws Exception {
        for (Path source : RenderDiagrams.sources(SOURCES)) {
            Path svg = RENDERED.resolve(RenderDiagrams.svgName(source.getFileName().toString()));
            assertThat(svg).as("rendered by the build (exec-maven-plugin, process-classes)").isRegularFile();
            String text = Files.readString(svg, StandardCharsets.UTF_8);
            DiagramRenderer.checkIsARealDrawing(svg.getFileName().toString(), text);
            Document document = parseSafely(text);
            assertThat(document.getDocumentElement().getLocalName()).isEqualTo("svg");
            assertThat(document.getElementsByTagNameNS("*", "text").getLength())
                    .as("%s has labels", svg.getFileName()).isGreaterThan(5);
            assertThat(Files.getLastModifiedTime(svg)).as("%s is not older than its source", svg.getFileName())
                    .isGreaterThanOrEqualTo(Files.getLastModifiedTime(source));
        }
    }

    @Test
    void aSyntaxErrorFailsWithTheLine() {
        String broken = "@startuml\n!pragma layout smetana\nbox \"zone\"\n  file \"x\" as x\nend box\n@enduml\n";
        assertThatThrownBy(() -> renderer.renderSvg("broken.puml", broken))
                .isInstanceOf(DiagramException.class)
                .hasMessageContaining("broken.puml: PlantUML error at line 4");
    }

    @Test
    void aSourceWithoutTheSmetanaPragmaIsRefusedBecauseTheBuildHasNoGraphviz() {
        String noPragma = "@startuml\nnode a\nnode b\na --> b\n@enduml\n";
        assertThatThrownBy(() -> renderer.renderSvg("no-pragma.puml", noPragma))
                .isInstanceOf(DiagramException.class)
                .hasMessageContaining("missing '!pragma layout smetana'");
    }

    @Test
    void twoDiagramsInOneSourceAreRefused() {
        String two = "@startuml\n!pragma layout smetana\na -> b\n@enduml\n@startuml\n!pragma layout smetana\nc -> d\n@enduml\n";
        assertThatThrownBy(() -> renderer.renderSvg("two.puml", two))
                .isInstanceOf(DiagramException.class)
                .hasMessageContaining("found 2");
    }

    @Test
    void plantUmlsErrorImageIsRecognisedAsAnError() throws IOException {
        // PlantUML does not throw on a bad source: it draws an SVG of the error. That image must fail too.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SourceStringReader("@startuml\n!pragma layout smetana\nthis is -> not -> a ( diagram\n@enduml\n")
                .outputImage(out, new FileFormatOption(FileFormat.SVG));
        String errorImage = out.toString(StandardCharsets.UTF_8);
        assertThat(errorImage).contains("<svg");
        assertThatThrownBy(() -> DiagramRenderer.checkIsARealDrawing("error.svg", errorImage))
                .isInstanceOf(DiagramException.class)
                .hasMessageContaining("error image");
    }

    @Test
    void oneBadDiagramFailsTheWholeRenderingStepAndNamesIt(@TempDir Path dir) throws IOException {
        Path sources = Files.createDirectories(dir.resolve("diagrams"));
        Files.writeString(sources.resolve("good.puml"), "@startuml\n!pragma layout smetana\nalice -> bob : hello\n@enduml\n");
        Files.writeString(sources.resolve("bad.puml"),
                "@startuml\n!pragma layout smetana\nbox \"zone\"\n  file \"x\" as x\nend box\n@enduml\n");
        assertThatThrownBy(() -> RenderDiagrams.renderAll(sources, dir.resolve("out")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bad.puml")
                .hasMessageNotContaining("good.puml");
    }

    @Test
    void anEmptyDiagramDirectoryFails(@TempDir Path dir) {
        assertThatThrownBy(() -> RenderDiagrams.renderAll(dir, dir.resolve("out")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no *.puml diagrams");
    }

    private static Document parseSafely(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }
}
