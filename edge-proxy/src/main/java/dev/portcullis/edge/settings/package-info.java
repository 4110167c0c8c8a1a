/** The configuration core pushes to an edge-proxy, validated and held in memory (never written to disk). */
package dev.portcullis.edge.settings;
