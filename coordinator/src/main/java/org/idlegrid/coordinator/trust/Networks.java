package org.idlegrid.coordinator.trust;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The network a device calls from, for placement: the /24 of an IPv4 address, the /48 of an
 * IPv6 address. Loopback, link-local, any-local and unparsable addresses are unknown (null):
 * a test grid on one machine, or a coordinator behind a proxy that hides the callers, must not
 * make every device look like one network. An IPv4-mapped IPv6 address counts as IPv4.
 */
public final class Networks {
  private Networks() {}

  public static String prefixOf(String address) {
    if (address == null || address.isBlank()) {
      return null;
    }
    String a = address.trim();
    if (a.startsWith("[") && a.endsWith("]")) {
      a = a.substring(1, a.length() - 1);
    }
    int zone = a.indexOf('%');
    if (zone >= 0) {
      a = a.substring(0, zone);
    }
    if (!a.matches("[0-9A-Fa-f:.]+")) {
      return null; // never resolve names
    }
    InetAddress ip;
    try {
      ip = InetAddress.getByName(a);
    } catch (UnknownHostException e) {
      return null;
    }
    if (ip.isLoopbackAddress() || ip.isLinkLocalAddress() || ip.isAnyLocalAddress()) {
      return null;
    }
    byte[] b = ip.getAddress();
    if (ip instanceof Inet4Address) {
      return "v4:" + (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + ".0/24";
    }
    if (ip instanceof Inet6Address) {
      return String.format("v6:%02x%02x:%02x%02x:%02x%02x::/48", b[0], b[1], b[2], b[3], b[4], b[5]);
    }
    return null;
  }
}
