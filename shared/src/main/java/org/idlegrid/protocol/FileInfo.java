package org.idlegrid.protocol;

/** {@code POST /api/v1/files} answer: the content id and the number of JSONL records. */
public record FileInfo(String id, long records) {}
