import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.spell.DirectSpellChecker;
import org.apache.lucene.search.spell.JaroWinklerDistance;
import org.apache.lucene.search.spell.LevenshteinDistance;
import org.apache.lucene.search.spell.LuceneLevenshteinDistance;
import org.apache.lucene.search.spell.NGramDistance;
import org.apache.lucene.search.spell.SuggestMode;
import org.apache.lucene.search.spell.SuggestWord;
import org.apache.lucene.search.spell.SuggestWordFrequencyComparator;
import org.apache.lucene.search.spell.SuggestWordQueue;

/**
 * Goldens for retrievo's term suggester: Lucene 8.8's DirectSpellChecker configured as Elasticsearch's
 * DirectSpellcheckerSettings configures it (accuracy, max_edits, max_inspections, max_term_freq,
 * prefix_length, min_word_length, min_doc_freq, sort, string_distance internal, levenshtein, damerau_levenshtein, jaro_winkler or ngram), asked for
 * shard_size = max(size, 5) words per token, over CISI's text field (standard analyzer, one segment).
 * Usage: TermSuggestOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class TermSuggestOracle {
  public static void main(String[] args) throws Exception {
    List<Document> docs = new ArrayList<>();
    for (JsonNode d : OracleSupport.readJsonLines(args[0])) {
      Document doc = new Document();
      if (d.hasNonNull("text")) doc.add(new TextField("text", d.get("text").asText(), Field.Store.NO));
      docs.add(doc);
    }
    DirectoryReader reader = OracleSupport.indexOneSegment(new IndexWriterConfig(OracleSupport.STANDARD), docs);
    OracleSupport.eachCase(args[1], args[2], (c, res) -> {
      DirectSpellChecker sc = new DirectSpellChecker();
      sc.setAccuracy((float) c.path("accuracy").asDouble(0.5));
      sc.setMaxEdits(c.path("max_edits").asInt(2));
      sc.setMaxInspections(c.path("max_inspections").asInt(5));
      sc.setMaxQueryFrequency((float) c.path("max_term_freq").asDouble(0.01));
      sc.setMinPrefix(c.path("prefix_length").asInt(1));
      sc.setMinQueryLength(c.path("min_word_length").asInt(4));
      sc.setThresholdFrequency((float) c.path("min_doc_freq").asDouble(0));
      sc.setLowerCaseTerms(false);
      boolean byFreq = c.path("sort").asText("score").equals("frequency");
      sc.setComparator(byFreq ? new SuggestWordFrequencyComparator() : SuggestWordQueue.DEFAULT_COMPARATOR);
      String distance = c.path("string_distance").asText("internal");
      if (distance.equals("levenshtein")) sc.setDistance(new LevenshteinDistance());
      if (distance.equals("damerau_levenshtein")) sc.setDistance(new LuceneLevenshteinDistance());
      if (distance.equals("jaro_winkler")) sc.setDistance(new JaroWinklerDistance());
      if (distance.equals("ngram")) sc.setDistance(new NGramDistance());
      String mode = c.path("suggest_mode").asText("missing");
      SuggestMode sm = mode.equals("popular") ? SuggestMode.SUGGEST_MORE_POPULAR
          : mode.equals("always") ? SuggestMode.SUGGEST_ALWAYS : SuggestMode.SUGGEST_WHEN_NOT_IN_INDEX;
      int size = c.path("size").asInt(5);
      int shardSize = Math.max(size, 5);
      ArrayNode words = res.putArray("options");
      for (SuggestWord s : sc.suggestSimilar(new Term("text", c.get("word").asText()), shardSize, reader, sm)) {
        ArrayNode o = words.addArray();
        o.add(s.string);
        o.add(s.score);
        o.add(s.freq);
      }
    });
  }
}
