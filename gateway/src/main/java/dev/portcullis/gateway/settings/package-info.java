/** The configuration core pushes to a gateway, validated and held in memory (never written to disk). */
package dev.portcullis.gateway.settings;
