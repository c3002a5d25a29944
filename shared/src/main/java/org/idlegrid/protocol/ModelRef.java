package org.idlegrid.protocol;

/** A model as an assignment names it: content id, where to fetch it, engine and exact size. */
public record ModelRef(String id, String url, String engine, long bytes) {}
