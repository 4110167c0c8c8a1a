/** Renders the threat model's PlantUML diagrams to SVG, refusing any source PlantUML cannot draw. */
package dev.portcullis.threatmodel.diagram;
