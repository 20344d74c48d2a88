import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.BM25FQuery;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * Goldens for retrievo's combined_fields query: one BM25FQuery (Lucene 8.8's name for the sandbox's
 * CombinedFieldQuery) per analysed token over the case's weighted fields, joined by a BooleanQuery
 * (SHOULD for operator or, MUST for and, with minimum_should_match as a count), over CISI (title,
 * author, text; standard analyzer without stop words), one segment. BM25FQuery scores with its own
 * BM25Similarity, so Elasticsearch's LegacyBM25Similarity (boost times 1 + k1) is reproduced by
 * wrapping the query in a BoostQuery of 2.2f. Usage: CombinedFieldsOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class CombinedFieldsOracle {
  static final Analyzer STANDARD = new StandardAnalyzer(CharArraySet.EMPTY_SET);

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, Analyzer> perField = new HashMap<>();
    for (String f : new String[] {"title", "author", "text"}) perField.put(f, STANDARD);
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
        w.addDocument(doc);
      }
    }
    w.forceMerge(1);
    w.close();
    IndexReader reader = DirectoryReader.open(dir);
    IndexSearcher searcher = new IndexSearcher(reader);
    searcher.setSimilarity(new BM25Similarity());
    ArrayNode out = json.createArrayNode();
    try (BufferedReader r = Files.newBufferedReader(Paths.get(args[1]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode c = json.readTree(line);
        Query query = new BoostQuery(build(c), 2.2f * (float) c.path("boost").asDouble(1.0));
        ObjectNode res = out.addObject();
        res.set("case", c);
        res.put("total", searcher.count(query));
        res.put("every_term_in_every_field", complete(c, reader));
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

  /**
   * Whether each token occurs in each field. Lucene 8.8's BM25FQuery sums the norms of the fields whose
   * term exists in the segment (and scores a single one as a plain TermQuery); Lucene 9+'s
   * CombinedFieldQuery, which Elasticsearch 9 runs, sums every field's. The two agree only when this holds.
   */
  static boolean complete(JsonNode c, IndexReader reader) throws Exception {
    for (String t : tokens(c)) {
      for (Iterator<String> it = c.get("fields").fieldNames(); it.hasNext(); ) {
        if (reader.docFreq(new org.apache.lucene.index.Term(it.next(), t)) == 0) return false;
      }
    }
    return true;
  }

  static List<String> tokens(JsonNode c) throws Exception {
    List<String> tokens = new ArrayList<>();
    try (TokenStream ts = STANDARD.tokenStream("text", c.get("query").asText())) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) tokens.add(term.toString());
      ts.end();
    }
    return tokens;
  }

  static Query build(JsonNode c) throws Exception {
    List<Query> clauses = new ArrayList<>();
    for (String t : tokens(c)) {
      BM25FQuery.Builder b = new BM25FQuery.Builder();
      for (Iterator<Map.Entry<String, JsonNode>> it = c.get("fields").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        b.addField(e.getKey(), (float) e.getValue().asDouble());
      }
      b.addTerm(new BytesRef(t));
      clauses.add(b.build());
    }
    if (clauses.size() == 1) return clauses.get(0);
    BooleanClause.Occur occur =
        c.path("operator").asText("or").equals("and") ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD;
    BooleanQuery.Builder bq = new BooleanQuery.Builder();
    for (Query q : clauses) bq.add(q, occur);
    if (c.has("msm")) bq.setMinimumNumberShouldMatch(c.get("msm").asInt());
    return bq.build();
  }
}
