package dev.portcullis.threatmodel.diagram;

/** A diagram source that PlantUML could not render, or rendered only as its error image. */
public final class DiagramException extends Exception {
    private static final long serialVersionUID = 1L;

    public DiagramException(String message) {
        super(message);
    }
}
