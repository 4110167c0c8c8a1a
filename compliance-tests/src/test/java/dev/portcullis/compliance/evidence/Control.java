package dev.portcullis.compliance.evidence;

import com.fasterxml.jackson.annotation.JsonValue;

/** A control a check evidences, as an auditor cites it: a framework and a reference in it. */
public record Control(String framework, String reference) {

    public static final String SOC2 = "SOC2";
    public static final String ISO27001 = "ISO27001:2022";
    public static final String NIST = "NIST 800-53";

    public static Control soc2(String reference) {
        return new Control(SOC2, reference);
    }

    public static Control iso27001(String reference) {
        return new Control(ISO27001, reference);
    }

    public static Control nist(String reference) {
        return new Control(NIST, reference);
    }

    /** "SOC2 CC6.1", "ISO27001:2022 A.8.20", "NIST 800-53 AC-17". */
    @JsonValue
    public String label() {
        return framework + " " + reference;
    }
}
