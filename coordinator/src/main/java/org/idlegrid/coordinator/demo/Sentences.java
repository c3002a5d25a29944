package org.idlegrid.coordinator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Sample sentences for the demo's text-embedding job, and a nearest-neighbour printout. */
final class Sentences {
  private static final String[] SUBJECTS = {
    "The cat", "My neighbour's dog", "A small child", "The old fisherman", "Our new manager", "The robot",
    "A tired student", "The orchestra", "The city council", "A curious scientist"};
  private static final String[] ACTIONS = {
    "is sleeping on the warm sofa", "is cooking pasta for dinner", "is repairing a broken bicycle",
    "is reading a book about the ocean", "is playing football in the park", "is writing code late at night",
    "is watching the rain from the window", "is planting tomatoes in the garden", "is singing an old song",
    "is paying the electricity bill", "is flying a kite on the beach", "is studying for a maths exam",
    "is painting the kitchen walls", "is waiting for the last train", "is tuning a violin",
    "is counting the votes", "is baking bread before sunrise", "is feeding the ducks at the lake",
    "is fixing a leaking roof", "is training a neural network", "is climbing a snowy mountain",
    "is cleaning the aquarium", "is selling apples at the market", "is learning to swim",
    "is looking for the lost keys", "is debugging a memory leak", "is drinking coffee with friends",
    "is driving to the airport", "is knitting a red scarf", "is measuring the temperature of the sea"};

  private Sentences() {}

  static List<String> generate(int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(SUBJECTS[i % SUBJECTS.length] + " " + ACTIONS[(i / SUBJECTS.length + i) % ACTIONS.length] + ".");
    }
    return out;
  }

  /** For a few sentences, prints the most similar other sentence by cosine of the embeddings. */
  static void printNearest(List<String> sentences, List<JsonNode> results, PrintStream out) {
    int[] probes = {0, 7, 19};
    for (int p : probes) {
      if (p >= results.size()) {
        continue;
      }
      double[] a = vector(results.get(p));
      int best = -1;
      double bestSim = -2;
      for (int j = 0; j < results.size(); j++) {
        if (j == p || sentences.get(j).equals(sentences.get(p))) {
          continue;
        }
        double sim = dot(a, vector(results.get(j)));
        if (sim > bestSim) {
          bestSim = sim;
          best = j;
        }
      }
      out.printf(Locale.ROOT, "  nearest to \"%s\": \"%s\" (cosine %.3f)%n", sentences.get(p), sentences.get(best), bestSim);
    }
  }

  private static double[] vector(JsonNode line) {
    JsonNode e = line.get("output").get("embedding");
    double[] v = new double[e.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = e.get(i).asDouble();
    }
    return v;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
