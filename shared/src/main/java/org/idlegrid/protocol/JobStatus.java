package org.idlegrid.protocol;

/**
 * {@code GET /api/v1/jobs/{id}}. Times are ISO-8601 instants; {@code finishedAt} may be null.
 * {@code verifying}: the job is RUNNING with every unit valid, waiting for the closing audits of
 * results accepted on trust before it reports COMPLETED.
 */
public record JobStatus(
    String id,
    String name,
    String state,
    String model,
    int priority,
    int unitSize,
    Units units,
    Records records,
    Verification verification,
    double replicationFactor,
    String createdAt,
    String finishedAt,
    String error,
    boolean verifying) {

  public record Units(int total, int valid, int inProgress, int failed) {}

  public record Records(long total, long done) {}
}
