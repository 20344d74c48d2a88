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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.MultiPhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

/**
 * Goldens for retrievo's match_phrase_prefix and match_bool_prefix: the Lucene 8.8 queries Elasticsearch
 * builds for them (MultiPhrasePrefixQuery's rewrite into a MultiPhraseQuery with the last position's
 * prefix expanded to at most max_expansions dictionary terms; a BooleanQuery of TermQuery clauses whose
 * last clause is a constant-score PrefixQuery when the text ends with that token) over CISI (title,
 * author, text with the standard analyzer without stop words), one segment, LegacyBM25Similarity.
 * The query construction is written from the behaviour of Elasticsearch's MatchQueryParser; scoring is
 * Lucene's. Usage: PrefixQueryOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class PrefixQueryOracle {
  static final Analyzer STANDARD = new StandardAnalyzer(CharArraySet.EMPTY_SET);

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, Analyzer> perField = new HashMap<>();
    perField.put("title", STANDARD);
    perField.put("author", STANDARD);
    perField.put("text", STANDARD);
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
    searcher.setSimilarity(new LegacyBM25Similarity());
    ArrayNode out = json.createArrayNode();
    try (BufferedReader r = Files.newBufferedReader(Paths.get(args[1]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode q = json.readTree(line);
        Query query = q.get("type").asText().equals("phrase_prefix") ? phrasePrefix(q, reader) : boolPrefix(q);
        ObjectNode res = out.addObject();
        res.set("case", q);
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

  /** Analysed tokens: term, absolute position, end offset; the last element holds the final offset. */
  static List<Object[]> analyze(String field, String text) throws Exception {
    List<Object[]> tokens = new ArrayList<>();
    try (TokenStream ts = STANDARD.tokenStream(field, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      PositionIncrementAttribute inc = ts.addAttribute(PositionIncrementAttribute.class);
      OffsetAttribute off = ts.addAttribute(OffsetAttribute.class);
      ts.reset();
      int pos = -1;
      while (ts.incrementToken()) {
        pos += inc.getPositionIncrement();
        tokens.add(new Object[] {term.toString(), pos, off.endOffset()});
      }
      ts.end();
      tokens.add(new Object[] {null, -1, off.endOffset()});
    }
    return tokens;
  }

  static Query phrasePrefix(JsonNode q, IndexReader reader) throws Exception {
    String field = q.get("field").asText();
    int maxExpansions = q.path("max_expansions").asInt(50);
    List<Object[]> tokens = analyze(field, q.get("text").asText());
    tokens.remove(tokens.size() - 1);
    if (tokens.isEmpty()) return new MatchNoDocsQuery("zero terms");
    MultiPhraseQuery.Builder b = new MultiPhraseQuery.Builder();
    b.setSlop(q.path("slop").asInt(0));
    for (int i = 0; i < tokens.size() - 1; i++) {
      b.add(new Term[] {new Term(field, (String) tokens.get(i)[0])}, (Integer) tokens.get(i)[1]);
    }
    Object[] last = tokens.get(tokens.size() - 1);
    BytesRef prefix = new BytesRef((String) last[0]);
    Set<Term> terms = new LinkedHashSet<>();
    outer:
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms t = leaf.reader().terms(field);
      if (t == null) continue;
      TermsEnum te = t.iterator();
      if (te.seekCeil(prefix) == TermsEnum.SeekStatus.END) continue;
      for (BytesRef term = te.term(); term != null; term = te.next()) {
        if (!StringHelper.startsWith(term, prefix)) break;
        terms.add(new Term(field, BytesRef.deepCopyOf(term)));
        if (terms.size() >= maxExpansions) break outer;
      }
    }
    if (terms.isEmpty()) return new MatchNoDocsQuery("no expansions");
    b.add(terms.toArray(new Term[0]), (Integer) last[1]);
    return b.build();
  }

  static Query boolPrefix(JsonNode q) throws Exception {
    String field = q.get("field").asText();
    List<Object[]> tokens = analyze(field, q.get("text").asText());
    int finalOffset = (Integer) tokens.remove(tokens.size() - 1)[2];
    if (tokens.isEmpty()) return new MatchNoDocsQuery("zero terms");
    boolean lastIsPrefix = (Integer) tokens.get(tokens.size() - 1)[2] == finalOffset;
    List<Query> clauses = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      Term t = new Term(field, (String) tokens.get(i)[0]);
      clauses.add(i == tokens.size() - 1 && lastIsPrefix ? new PrefixQuery(t) : new TermQuery(t));
    }
    if (clauses.size() == 1) return clauses.get(0);
    BooleanClause.Occur occur = q.path("operator").asText("or").equals("and") ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD;
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Query c : clauses) b.add(c, occur);
    if (q.has("msm")) b.setMinimumNumberShouldMatch(q.get("msm").asInt());
    return b.build();
  }
}
