import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.FeatureField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;

/**
 * Goldens for retrievo's rank_feature query: Lucene 8.8.1's FeatureField queries (saturation with and without
 * a pivot, log, sigmoid, linear; boosted) over a fixed set of documents indexed as Elasticsearch indexes
 * rank_feature (field "_feature", feature = the field name) and rank_features (field = the field name) values.
 * Writes one JSON object: per case the query text, each hit's id, score (Float.toString and raw bits) and the
 * top hit's explanation description; and the pivot computed for each feature.
 */
public class FeatureOracle {
    // id, pagerank, url_length (already 1/x: positive_score_impact false), tags (feature=value pairs)
    static final Object[][] DOCS = {
        {"1", 10f, 1f / 50f, new Object[] {"foo", 3f, "bar", 5f}},
        {"2", 100f, 1f / 20f, new Object[] {"bar", 6f, "quux", 10f}},
        {"3", 0.1f, 1f / 7f, new Object[] {"foo", 0.3f, "bar", 1234.5678f}},
        {"4", 3.3f, 1f / 1000f, new Object[] {"quux", 0.001f}},
        {"5", 77777.7f, 1f / 3f, new Object[] {"bar", 0.7f}},
    };

    static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    public static void main(String[] args) throws Exception {
        List<Document> docs = new ArrayList<>();
        for (Object[] d : DOCS) {
            Document doc = new Document();
            doc.add(new StringField("_id", (String) d[0], Field.Store.YES));
            doc.add(new FeatureField("_feature", "pagerank", (Float) d[1]));
            doc.add(new FeatureField("_feature", "url_length", (Float) d[2]));
            Object[] tags = (Object[]) d[3];
            for (int i = 0; i < tags.length; i += 2) {
                doc.add(new FeatureField("tags", (String) tags[i], (Float) tags[i + 1]));
            }
            docs.add(doc);
        }
        DirectoryReader reader = OracleSupport.indexOneSegment(new IndexWriterConfig(new StandardAnalyzer()), docs);
        IndexSearcher searcher = new IndexSearcher(reader);
        List<String[]> names = new ArrayList<>();
        List<Query> queries = new ArrayList<>();
        String[][] features = {{"_feature", "pagerank"}, {"_feature", "url_length"}, {"tags", "bar"}, {"tags", "foo"}, {"tags", "quux"}};
        for (String[] f : features) {
            String label = f[0].equals("_feature") ? f[1] : "tags." + f[1];
            names.add(new String[] {label, "saturation"});
            queries.add(FeatureField.newSaturationQuery(f[0], f[1]));
            names.add(new String[] {label, "saturation_pivot_20"});
            queries.add(FeatureField.newSaturationQuery(f[0], f[1], 1f, 20f));
            names.add(new String[] {label, "log_3"});
            queries.add(FeatureField.newLogQuery(f[0], f[1], 1f, 3f));
            names.add(new String[] {label, "sigmoid_20_0.6"});
            queries.add(FeatureField.newSigmoidQuery(f[0], f[1], 1f, 20f, 0.6f));
            names.add(new String[] {label, "linear"});
            queries.add(FeatureField.newLinearQuery(f[0], f[1], 1f));
            names.add(new String[] {label, "saturation_pivot_2.5_boost_1.7"});
            queries.add(new BoostQuery(FeatureField.newSaturationQuery(f[0], f[1], 1f, 2.5f), 1.7f));
            names.add(new String[] {label, "log_1.5_boost_3"});
            queries.add(new BoostQuery(FeatureField.newLogQuery(f[0], f[1], 1f, 1.5f), 3f));
            names.add(new String[] {label, "sigmoid_7_1.3_boost_0.4"});
            queries.add(new BoostQuery(FeatureField.newSigmoidQuery(f[0], f[1], 1f, 7f, 1.3f), 0.4f));
            names.add(new String[] {label, "linear_boost_2"});
            queries.add(new BoostQuery(FeatureField.newLinearQuery(f[0], f[1], 1f), 2f));
        }
        StringBuilder out = new StringBuilder("{\n");
        out.append("  \"cases\": [\n");
        for (int i = 0; i < queries.size(); i++) {
            Query q = queries.get(i);
            TopDocs top = searcher.search(q, 10);
            out.append("    {\"field\": \"").append(names.get(i)[0]).append("\", \"function\": \"").append(names.get(i)[1])
                .append("\", \"query\": \"").append(esc(searcher.rewrite(q).toString())).append("\", \"hits\": [");
            for (int j = 0; j < top.scoreDocs.length; j++) {
                ScoreDoc sd = top.scoreDocs[j];
                String id = searcher.doc(sd.doc).get("_id");
                Explanation e = searcher.explain(q, sd.doc);
                out.append(j == 0 ? "" : ", ").append("{\"id\": \"").append(id).append("\", \"score\": \"")
                    .append(Float.toString(sd.score)).append("\", \"bits\": ").append(Float.floatToIntBits(sd.score))
                    .append(", \"explanation\": \"").append(esc(e.getDescription())).append("\"}");
            }
            out.append("]}").append(i == queries.size() - 1 ? "\n" : ",\n");
        }
        out.append("  ]\n}\n");
        Files.write(Paths.get(args[0]), out.toString().getBytes(StandardCharsets.UTF_8));
    }
}
