package org.idlegrid.coordinator.workgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.idlegrid.coordinator.model.InputSpec;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitState;

/**
 * Splits a job's input (a JSONL blob) into units of {@code unitSize} consecutive records. Each
 * unit keeps its record range and the byte range of those records in the blob, so issuing a
 * unit reads only its own lines. Every record is checked against the model's {@link InputSpec}
 * while planning, so a job with one bad record is refused whole before anything is stored.
 */
public final class WorkGenerator {
  private WorkGenerator() {}

  /** Records {@code [recordStart, recordEnd)} at bytes {@code [byteStart, byteEnd)}. */
  public record Range(long recordStart, long recordEnd, long byteStart, long byteEnd) {}

  public record Plan(long recordCount, List<Range> ranges) {}

  /**
   * Reads and checks every record of {@code input}.
   *
   * @throws org.idlegrid.json.Json.JsonException a line is not JSON (400)
   * @throws org.idlegrid.coordinator.model.InputException a record does not fit the model (422)
   */
  public static Plan plan(Path input, int unitSize, InputSpec spec) throws IOException {
    if (unitSize < 1) {
      throw new IllegalArgumentException("unitSize must be >= 1");
    }
    List<Range> ranges = new ArrayList<>();
    long[] open = {-1, -1, -1}; // first record, byte start, byte end of the unit being built
    long count = Jsonl.scan(input, (index, start, end, record) -> {
      spec.validate(record, index);
      if (open[0] < 0) {
        open[0] = index;
        open[1] = start;
      }
      open[2] = end;
      if (index - open[0] + 1 == unitSize) {
        ranges.add(new Range(open[0], index + 1, open[1], open[2]));
        open[0] = -1;
      }
    });
    if (open[0] >= 0) {
      ranges.add(new Range(open[0], count, open[1], open[2]));
    }
    return new Plan(count, ranges);
  }

  /** The unit rows of a job: all PENDING, each needing {@code replicas} replicas. */
  public static List<Rows.Unit> units(Rows.Job job, Plan plan) {
    List<Rows.Unit> units = new ArrayList<>(plan.ranges().size());
    int idx = 0;
    for (Range r : plan.ranges()) {
      units.add(new Rows.Unit(job.id() + "-u" + idx, job.id(), idx, r.recordStart(), r.recordEnd(), r.byteStart(),
          r.byteEnd(), UnitState.PENDING, job.priority(), job.seq(), job.modelId(), job.replicas(), null));
      idx++;
    }
    return units;
  }
}
