import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * What the Lucene oracles under tools/lucene-oracle-ext share, so that each program holds only the
 * queries it checks: reading JSON lines, indexing CISI the way the oracles agree to (one segment, the
 * standard analyzer without stop words on title/author/text, a stored keyword _id), hits as [_id, score]
 * pairs and the pretty-printed golden file. Every oracle's regenerate.sh compiles this file next to its
 * own program (common/oracle.sh). It needs only lucene-core, lucene-analyzers-common and Jackson, so an
 * oracle adds just the jars its own queries need; the similarity is the caller's (most use lucene-misc's
 * LegacyBM25Similarity, combined_fields plain BM25Similarity).
 */
final class OracleSupport {
  private OracleSupport() {}

  /** One mapper for reading cases and writing goldens; its default settings are what the goldens hold. */
  static final ObjectMapper JSON = new ObjectMapper();

  /** CISI's analysed fields; _id is the keyword field, bib is not indexed. */
  static final String[] CISI_FIELDS = {"title", "author", "text"};

  /** Elasticsearch's "standard" analyzer: standard tokenizer and lowercase, no stop words. */
  static final Analyzer STANDARD = new StandardAnalyzer(CharArraySet.EMPTY_SET);

  /** The JSON value of each non-blank line of a UTF-8 file (corpus or cases). */
  static List<JsonNode> readJsonLines(String path) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(Paths.get(path), StandardCharsets.UTF_8)) {
      return readJsonLines(r);
    }
  }

  /** The JSON value of each non-blank line (cases piped on stdin). */
  static List<JsonNode> readJsonLines(BufferedReader r) throws IOException {
    List<JsonNode> values = new ArrayList<>();
    String line;
    while ((line = r.readLine()) != null) {
      if (!line.isBlank()) values.add(JSON.readTree(line));
    }
    return values;
  }

  /** STANDARD on CISI's analysed fields, keyword on any other (_id, author.keyword). */
  static Analyzer cisiAnalyzer() {
    Map<String, Analyzer> perField = new HashMap<>();
    for (String f : CISI_FIELDS) perField.put(f, STANDARD);
    return new PerFieldAnalyzerWrapper(new KeywordAnalyzer(), perField);
  }

  /** A CISI record as a document: stored keyword _id, then each present analysed field (not stored). */
  static Document cisiDocument(JsonNode d) {
    Document doc = new Document();
    doc.add(new StringField("_id", d.get("_id").asText(), Field.Store.YES));
    for (String f : CISI_FIELDS) {
      if (d.hasNonNull(f)) doc.add(new TextField(f, d.get(f).asText(), Field.Store.NO));
    }
    return doc;
  }

  /** Every record of a CISI corpus file as cisiDocument makes it, in file order (doc ids follow it). */
  static List<Document> cisiDocuments(String corpus) throws IOException {
    List<Document> docs = new ArrayList<>();
    for (JsonNode d : readJsonLines(corpus)) docs.add(cisiDocument(d));
    return docs;
  }

  /**
   * Indexes the documents in order, merged into one segment so that every statistic is the index-wide
   * one a single Elasticsearch shard sees, and opens the result.
   */
  static DirectoryReader indexOneSegment(IndexWriterConfig config, Iterable<Document> docs) throws IOException {
    ByteBuffersDirectory dir = new ByteBuffersDirectory();
    try (IndexWriter w = new IndexWriter(dir, config)) {
      for (Document doc : docs) w.addDocument(doc);
      w.forceMerge(1);
    }
    return DirectoryReader.open(dir);
  }

  /** The CISI corpus file indexed with cisiAnalyzer and cisiDocument, one segment. */
  static DirectoryReader indexCisi(String corpus) throws IOException {
    return indexOneSegment(new IndexWriterConfig(cisiAnalyzer()), cisiDocuments(corpus));
  }

  /** A searcher over the reader that scores with the given similarity. */
  static IndexSearcher searcher(IndexReader reader, Similarity similarity) {
    IndexSearcher searcher = new IndexSearcher(reader);
    searcher.setSimilarity(similarity);
    return searcher;
  }

  /** The top n hits of the query, as "hits": [[_id, score], ...] on res. */
  static void putHits(ObjectNode res, IndexSearcher searcher, Query query, int n) throws IOException {
    TopDocs top = searcher.search(query, n);
    ArrayNode hits = res.putArray("hits");
    for (ScoreDoc sd : top.scoreDocs) {
      ArrayNode h = hits.addArray();
      h.add(searcher.doc(sd.doc).get("_id"));
      h.add(sd.score);
    }
  }

  /** MUST for a case's "operator": "and", SHOULD otherwise (Elasticsearch's default operator or). */
  static BooleanClause.Occur occur(JsonNode c) {
    return c.path("operator").asText("or").equals("and") ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD;
  }

  /**
   * The per-token clauses joined as Elasticsearch's match-family queries join them: a single clause alone,
   * else a BooleanQuery with the case's operator and its "msm" (a count) when given.
   */
  static Query joinClauses(List<Query> clauses, JsonNode c) {
    if (clauses.size() == 1) return clauses.get(0);
    BooleanClause.Occur occur = occur(c);
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Query q : clauses) b.add(q, occur);
    if (c.has("msm")) b.setMinimumNumberShouldMatch(c.get("msm").asInt());
    return b.build();
  }

  /** The same clauses with minimum_should_match set to a count. */
  static BooleanQuery withMinimumShouldMatch(BooleanQuery q, int msm) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (BooleanClause clause : q.clauses()) b.add(clause);
    b.setMinimumNumberShouldMatch(msm);
    return b.build();
  }

  /** What an oracle writes for one case into its result object (which already holds the case). */
  interface CaseWriter {
    void write(JsonNode c, ObjectNode res) throws Exception;
  }

  /**
   * Runs each case of a JSON-lines file through the writer and saves the golden: an array of result
   * objects, each starting with "case" (the case as read), in the file's order.
   */
  static void eachCase(String cases, String golden, CaseWriter writer) throws Exception {
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode c : readJsonLines(cases)) {
      ObjectNode res = out.addObject();
      res.set("case", c);
      writer.write(c, res);
    }
    writePretty(out, golden);
  }

  /** The golden: pretty-printed JSON and a final newline. */
  static void writePretty(JsonNode out, String path) throws IOException {
    try (PrintWriter pw = new PrintWriter(path, "UTF-8")) {
      pw.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
  }
}
