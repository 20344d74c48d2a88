import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymFilter;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarity.LegacyBM25Similarity;
import org.apache.lucene.util.QueryBuilder;

/**
 * Goldens for search-time synonyms: Lucene 8.8.1's QueryBuilder (as Elasticsearch configures it:
 * auto-generated phrase queries for multi-term synonyms) over a StandardTokenizer + LowerCaseFilter +
 * synonym filter chain, searched with LegacyBM25Similarity over CISI's "text" field.
 * Usage: SynonymOracle CORPUS.jsonl CASES.json OUT.json
 */
public class SynonymOracle {
  static Analyzer plain() {
    return new Analyzer() {
      @Override
      protected TokenStreamComponents createComponents(String f) {
        Tokenizer t = new StandardTokenizer();
        return new TokenStreamComponents(t, new LowerCaseFilter(t));
      }
    };
  }

  static Analyzer withSynonyms(SynonymMap map, boolean graph) {
    return new Analyzer() {
      @Override
      protected TokenStreamComponents createComponents(String f) {
        Tokenizer t = new StandardTokenizer();
        TokenStream s = new LowerCaseFilter(t);
        s = graph ? new SynonymGraphFilter(s, map, true) : new SynonymFilter(s, map, true);
        return new TokenStreamComponents(t, s);
      }
    };
  }

  static ObjectNode explain(Explanation e) {
    ObjectNode o = OracleSupport.JSON.createObjectNode();
    o.put("value", e.getValue().floatValue());
    o.put("description", e.getDescription());
    ArrayNode d = o.putArray("details");
    for (Explanation x : e.getDetails()) d.add(explain(x));
    return o;
  }

  public static void main(String[] args) throws Exception {
    List<Document> docs = new ArrayList<>();
    for (JsonNode doc : OracleSupport.readJsonLines(args[0])) {
      Document d = new Document();
      d.add(new StringField("_id", doc.get("_id").asText(), Field.Store.YES));
      if (doc.has("text")) d.add(new TextField("text", doc.get("text").asText(), Field.Store.NO));
      docs.add(d);
    }
    IndexWriterConfig cfg = new IndexWriterConfig(plain());
    cfg.setSimilarity(new LegacyBM25Similarity());
    IndexSearcher searcher = OracleSupport.searcher(OracleSupport.indexOneSegment(cfg, docs), new LegacyBM25Similarity());
    ArrayNode out = OracleSupport.JSON.createArrayNode();
    for (JsonNode c : OracleSupport.JSON.readTree(new File(args[1]))) {
      boolean graph = c.path("graph").asBoolean(true);
      SolrSynonymParser parser = new SolrSynonymParser(true, c.path("expand").asBoolean(true), plain());
      StringBuilder rules = new StringBuilder();
      for (JsonNode rule : c.get("synonyms")) rules.append(rule.asText()).append('\n');
      parser.parse(new StringReader(rules.toString()));
      QueryBuilder qb = new QueryBuilder(withSynonyms(parser.build(), graph));
      qb.setAutoGenerateMultiTermSynonymsPhraseQuery(c.path("auto_phrase").asBoolean(true));
      String text = c.get("query").asText();
      Query q;
      if (c.path("phrase").asBoolean(false)) {
        q = qb.createPhraseQuery("text", text, c.path("slop").asInt(0));
      } else {
        q = qb.createBooleanQuery("text", text, OracleSupport.occur(c));
        if (c.has("msm") && q instanceof BooleanQuery) {
          q = OracleSupport.withMinimumShouldMatch((BooleanQuery) q, c.get("msm").asInt());
        }
      }
      ObjectNode o = out.addObject();
      o.put("id", c.get("id").asText());
      o.set("case", c);
      o.put("lucene_query", q.toString());
      TopDocs top = searcher.search(q, c.path("top").asInt(20));
      o.put("total", top.totalHits.value);
      ArrayNode hits = o.putArray("hits");
      for (ScoreDoc sd : top.scoreDocs) {
        ObjectNode h = hits.addObject();
        h.put("_id", searcher.doc(sd.doc).get("_id"));
        h.put("score", sd.score);
      }
      if (top.scoreDocs.length > 0) {
        o.put("explain_id", searcher.doc(top.scoreDocs[0].doc).get("_id"));
        o.set("explain", explain(searcher.explain(q, top.scoreDocs[0].doc)));
      }
    }
    OracleSupport.JSON.writerWithDefaultPrettyPrinter().writeValue(new File(args[2]), out);
  }
}
