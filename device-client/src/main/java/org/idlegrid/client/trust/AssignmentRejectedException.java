package org.idlegrid.client.trust;

/** An assignment that must not be run; {@link #assignmentId()} may be null if unreadable. */
public class AssignmentRejectedException extends Exception {
  private final String assignmentId;

  public AssignmentRejectedException(String assignmentId, String message) {
    super(message);
    this.assignmentId = assignmentId;
  }

  public String assignmentId() {
    return assignmentId;
  }
}
