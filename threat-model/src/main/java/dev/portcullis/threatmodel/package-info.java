/**
 * The threat model as a build-checked artifact: its diagrams are rendered from PlantUML sources by
 * the build, and every mitigation it lists must link to a test that exists.
 */
package dev.portcullis.threatmodel;
