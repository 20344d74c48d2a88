import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RegexpQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.WildcardQuery;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * Goldens for retrievo's multi-term queries: Lucene 8.8's FuzzyQuery, WildcardQuery, RegexpQuery and
 * PrefixQuery over CISI (title/author/text with the standard analyzer without stop words, author.keyword
 * as an Elasticsearch keyword field), one segment, LegacyBM25Similarity (Elasticsearch's default).
 * Usage: MultiTermOracle CORPUS.jsonl QUERIES.jsonl OUT.json
 */
public class MultiTermOracle {
  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, Analyzer> perField = new HashMap<>();
    Analyzer standard = new StandardAnalyzer(CharArraySet.EMPTY_SET);
    perField.put("title", standard);
    perField.put("author", standard);
    perField.put("text", standard);
    Analyzer analyzer = new PerFieldAnalyzerWrapper(new KeywordAnalyzer(), perField);
    ByteBuffersDirectory dir = new ByteBuffersDirectory();
    IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(analyzer));
    try (BufferedReader r = Files.newBufferedReader(Paths.get(args[0]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode d = json.readTree(line);
        Document doc = new Document();
        doc.add(new StringField("_id", d.get("_id").asText(), Field.Store.YES));
        for (String f : new String[] {"title", "author", "text"}) {
          if (d.hasNonNull(f)) doc.add(new TextField(f, d.get(f).asText(), Field.Store.NO));
        }
        if (d.hasNonNull("author")) doc.add(new StringField("author.keyword", d.get("author").asText(), Field.Store.NO));
        w.addDocument(doc);
      }
    }
    w.forceMerge(1);
    w.close();
    IndexSearcher searcher = new IndexSearcher(DirectoryReader.open(dir));
    searcher.setSimilarity(new LegacyBM25Similarity());
    ArrayNode out = json.createArrayNode();
    try (BufferedReader r = Files.newBufferedReader(Paths.get(args[1]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode q = json.readTree(line);
        Query query = build(q);
        ObjectNode res = out.addObject();
        res.set("case", q);
        res.put("lucene", query.toString());
        res.put("rewritten", searcher.rewrite(query).toString());
        res.put("total", searcher.count(query));
        TopDocs top = searcher.search(query, 20);
        ArrayNode hits = res.putArray("hits");
        for (ScoreDoc sd : top.scoreDocs) {
          ArrayNode h = hits.addArray();
          h.add(searcher.doc(sd.doc).get("_id"));
          h.add(sd.score);
        }
      }
    }
    try (PrintWriter pw = new PrintWriter(args[2], "UTF-8")) {
      pw.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
  }

  static Query build(JsonNode q) {
    String type = q.get("type").asText();
    Term t = new Term(q.get("field").asText(), q.get("value").asText());
    MultiTermQuery mtq;
    switch (type) {
      case "fuzzy":
        mtq = new FuzzyQuery(t, q.path("max_edits").asInt(2), q.path("prefix_length").asInt(0),
            q.path("max_expansions").asInt(50), q.path("transpositions").asBoolean(true));
        break;
      case "wildcard":
        mtq = new WildcardQuery(t);
        break;
      case "regexp":
        mtq = new RegexpQuery(t, q.path("flags").asInt(org.apache.lucene.util.automaton.RegExp.ALL),
            q.path("case_insensitive").asBoolean(false) ? org.apache.lucene.util.automaton.RegExp.ASCII_CASE_INSENSITIVE : 0,
            org.apache.lucene.util.automaton.Operations.DEFAULT_MAX_DETERMINIZED_STATES);
        break;
      case "prefix":
        mtq = new PrefixQuery(t);
        break;
      default:
        throw new IllegalArgumentException(type);
    }
    String rw = q.path("rewrite").asText("");
    if (rw.equals("scoring_boolean")) mtq.setRewriteMethod(MultiTermQuery.SCORING_BOOLEAN_REWRITE);
    else if (rw.equals("constant_score_boolean")) mtq.setRewriteMethod(MultiTermQuery.CONSTANT_SCORE_BOOLEAN_REWRITE);
    else if (rw.equals("constant_score")) mtq.setRewriteMethod(MultiTermQuery.CONSTANT_SCORE_REWRITE);
    else if (rw.startsWith("top_terms_blended_freqs_"))
      mtq.setRewriteMethod(new MultiTermQuery.TopTermsBlendedFreqScoringRewrite(Integer.parseInt(rw.substring(24))));
    else if (rw.startsWith("top_terms_boost_"))
      mtq.setRewriteMethod(new MultiTermQuery.TopTermsBoostOnlyBooleanQueryRewrite(Integer.parseInt(rw.substring(16))));
    else if (rw.startsWith("top_terms_"))
      mtq.setRewriteMethod(new MultiTermQuery.TopTermsScoringBooleanQueryRewrite(Integer.parseInt(rw.substring(10))));
    else if (!rw.isEmpty()) throw new IllegalArgumentException(rw);
    return mtq;
  }
}
