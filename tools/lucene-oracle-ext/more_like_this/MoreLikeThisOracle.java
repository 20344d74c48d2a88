import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
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
import org.apache.lucene.queries.mlt.MoreLikeThis;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * Goldens for retrievo's more_like_this query with one field and like texts: Lucene 8.8.1's MoreLikeThis
 * (lucene-queries) picks the terms (ClassicSimilarity idf over the live documents, tf x idf, a priority
 * queue of max_query_terms fed in HashMap order), builds the BooleanQuery of SHOULD term queries
 * (optionally boosted), and minimum_should_match is set as a count, as Elasticsearch's XMoreLikeThis does
 * for a single field. Index: CISI (title, author, text; standard analyzer without stop words), one
 * segment, LegacyBM25Similarity. Usage: MoreLikeThisOracle CORPUS.jsonl CASES.jsonl OUT.json
 */
public class MoreLikeThisOracle {
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
    searcher.setSimilarity(new LegacyBM25Similarity());
    ArrayNode out = json.createArrayNode();
    try (BufferedReader r = Files.newBufferedReader(Paths.get(args[1]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode c = json.readTree(line);
        MoreLikeThis mlt = new MoreLikeThis(reader);
        String field = c.get("field").asText();
        mlt.setFieldNames(new String[] {field});
        mlt.setAnalyzer(STANDARD);
        mlt.setMaxQueryTerms(c.path("max_query_terms").asInt(25));
        mlt.setMinTermFreq(c.path("min_term_freq").asInt(2));
        mlt.setMinDocFreq(c.path("min_doc_freq").asInt(5));
        mlt.setMaxDocFreq(c.path("max_doc_freq").asInt(Integer.MAX_VALUE));
        mlt.setMinWordLen(c.path("min_word_length").asInt(0));
        mlt.setMaxWordLen(c.path("max_word_length").asInt(0));
        if (c.has("stop_words")) {
          Set<String> stop = new HashSet<>();
          for (JsonNode s : c.get("stop_words")) stop.add(s.asText());
          mlt.setStopWords(stop);
        }
        if (c.has("boost_terms")) {
          mlt.setBoost(true);
          mlt.setBoostFactor((float) c.get("boost_terms").asDouble());
        }
        BooleanQuery selected = (BooleanQuery) mlt.like(field, new StringReader(c.get("like").asText()));
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (BooleanClause clause : selected) b.add(clause);
        b.setMinimumNumberShouldMatch(c.path("msm").asInt(0));
        Query query = b.build();
        ObjectNode res = out.addObject();
        res.set("case", c);
        res.put("query", query.toString());
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
}
