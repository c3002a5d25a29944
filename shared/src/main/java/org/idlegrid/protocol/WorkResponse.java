package org.idlegrid.protocol;

import java.util.List;

public record WorkResponse(List<Assignment> assignments) {}
