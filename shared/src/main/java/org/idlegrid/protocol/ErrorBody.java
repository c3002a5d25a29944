package org.idlegrid.protocol;

/** Every error answer: a stable machine code and a message that says how to fix the request. */
public record ErrorBody(String error, String message) {}
