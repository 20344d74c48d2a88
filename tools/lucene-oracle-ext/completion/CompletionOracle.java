import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.core.SimpleAnalyzer;
import org.apache.lucene.codecs.PostingsFormat;
import org.apache.lucene.codecs.lucene87.Lucene87Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.suggest.document.Completion84PostingsFormat;
import org.apache.lucene.search.suggest.document.CompletionAnalyzer;
import org.apache.lucene.search.suggest.document.CompletionQuery;
import org.apache.lucene.search.suggest.document.FuzzyCompletionQuery;
import org.apache.lucene.search.suggest.document.PrefixCompletionQuery;
import org.apache.lucene.search.suggest.document.RegexCompletionQuery;
import org.apache.lucene.search.suggest.document.SuggestField;
import org.apache.lucene.search.suggest.document.SuggestIndexSearcher;
import org.apache.lucene.search.suggest.document.TopSuggestDocs;
import org.apache.lucene.search.suggest.document.TopSuggestDocsCollector;
import org.apache.lucene.util.automaton.Operations;
import org.apache.lucene.util.automaton.RegExp;

/**
 * Goldens for retrievo's completion suggester: Lucene 8.8's NRTSuggester (SuggestField with the
 * Completion84PostingsFormat, CompletionAnalyzer over the simple analyzer with separators and position
 * increments kept), queried with PrefixCompletionQuery, FuzzyCompletionQuery or RegexCompletionQuery, one segment. The
 * collector keeps one suggestion per document (its first, the best) and drops repeated surface forms when
 * asked, which is what Elasticsearch's completion suggester does on one shard. Inputs longer than 50
 * UTF-16 units are cut first (Elasticsearch's max_input_length).
 * Usage: CompletionOracle DOCS.jsonl CASES.jsonl OUT.json
 */
public class CompletionOracle {
  static final class PerDocCollector extends TopSuggestDocsCollector {
    final Set<Integer> seenDocs = new HashSet<>();
    final boolean skipDups;

    PerDocCollector(int num, boolean skipDups) {
      super(Math.max(1, num), skipDups);
      this.skipDups = skipDups;
    }

    @Override
    public void collect(int docID, CharSequence key, CharSequence context, float score) throws IOException {
      if (seenDocs.add(docID)) super.collect(docID, key, context, score);
    }
  }

  public static void main(String[] args) throws Exception {
    Analyzer analyzer = new CompletionAnalyzer(new SimpleAnalyzer(), true, true);
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    config.setCodec(new Lucene87Codec() {
      @Override
      public PostingsFormat getPostingsFormatForField(String field) {
        return field.equals("suggest") ? new Completion84PostingsFormat() : super.getPostingsFormatForField(field);
      }
    });
    List<Document> docs = new ArrayList<>();
    for (JsonNode d : OracleSupport.readJsonLines(args[0])) {
      Document doc = new Document();
      doc.add(new StringField("_id", d.get("_id").asText(), Field.Store.YES));
      Map<String, Integer> inputs = new LinkedHashMap<>();
      for (JsonNode item : d.get("suggest")) {
        int weight = item.path("weight").asInt(1);
        for (JsonNode in : item.get("input")) {
          String text = in.asText();
          if (text.length() > 50) text = text.substring(0, 50);
          Integer held = inputs.get(text);
          if (held == null || held < weight) inputs.put(text, weight);
        }
      }
      for (Map.Entry<String, Integer> e : inputs.entrySet()) doc.add(new SuggestField("suggest", e.getKey(), e.getValue()));
      docs.add(doc);
    }
    DirectoryReader reader = OracleSupport.indexOneSegment(config, docs);
    SuggestIndexSearcher searcher = new SuggestIndexSearcher(reader);
    OracleSupport.eachCase(args[1], args[2], (c, res) -> {
      Term term = new Term("suggest", c.path("prefix").asText());
      CompletionQuery query;
      if (c.has("regex")) {
        query = new RegexCompletionQuery(new Term("suggest", c.get("regex").asText()), c.path("flags").asInt(RegExp.ALL),
            Operations.DEFAULT_MAX_DETERMINIZED_STATES);
      } else if (c.has("fuzzy")) {
        JsonNode f = c.get("fuzzy");
        query = new FuzzyCompletionQuery(analyzer, term, null, f.path("edits").asInt(1), f.path("transpositions").asBoolean(true),
            f.path("prefix_length").asInt(1), f.path("min_length").asInt(3), f.path("unicode_aware").asBoolean(false),
            Operations.DEFAULT_MAX_DETERMINIZED_STATES);
      } else {
        query = new PrefixCompletionQuery(analyzer, term);
      }
      int size = c.path("size").asInt(5);
      PerDocCollector collector = new PerDocCollector(size, c.path("skip_duplicates").asBoolean(false));
      searcher.suggest(query, collector);
      TopSuggestDocs top = collector.get();
      ArrayNode hits = res.putArray("options");
      Set<String> seenKeys = new HashSet<>();
      for (TopSuggestDocs.SuggestScoreDoc sd : top.scoreLookupDocs()) {
        if (collector.skipDups && !seenKeys.add(sd.key.toString())) continue;
        ArrayNode h = hits.addArray();
        h.add(searcher.doc(sd.doc).get("_id"));
        h.add(sd.key.toString());
        h.add(sd.score);
      }
    });
  }
}
