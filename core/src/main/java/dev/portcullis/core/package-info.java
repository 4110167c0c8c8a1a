/** Core's entry point and wiring; the logic lives in the sub-packages named for what they do. */
package dev.portcullis.core;
