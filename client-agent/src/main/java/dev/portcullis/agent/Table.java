package dev.portcullis.agent;

import dev.portcullis.agent.terminal.Output;
import java.util.List;

/** Prints rows as left-aligned columns, the first row as the header. */
final class Table {

    private Table() {
    }

    static void print(List<List<String>> rows, Output output) {
        int columns = rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i == columns - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            output.say(line.toString().stripTrailing());
        }
    }
}
