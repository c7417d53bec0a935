using MlNetHw.Captioning;

namespace MlNetHw.Tests.Captioning;

[TestClass]
[TestCategory("Captioning")]
public sealed class CaptionDataSourcesTests
{
    [TestMethod]
    public void CocoJsonIsSplitByIdAndMissingImagesAreNamed()
    {
        string dir = Directory.CreateTempSubdirectory("mlnethw-coco").FullName;
        try
        {
            var scenes = ShapeScenes.WriteDataset(new ShapeSceneOptions { TrainScenes = 12, ValScenes = 0, Seed = 2 }, Path.Combine(dir, "src"));
            Directory.CreateDirectory(Path.Combine(dir, "images"));
            var imgs = new List<string>();
            var anns = new List<string>();
            for (int i = 0; i < 12; i++)
            {
                File.Copy(scenes.Train[i].ImagePath!, Path.Combine(dir, "images", $"{i}.png"));
                imgs.Add($"{{\"id\": {i + 1}, \"file_name\": \"{i}.png\", \"width\": 128, \"height\": 128}}");
                anns.Add($"{{\"id\": {100 + i}, \"image_id\": {i + 1}, \"caption\": \"{scenes.Train[i].Captions[0]}\"}}");
            }
            imgs.Add("{\"id\": 99, \"file_name\": \"gone.png\", \"width\": 1, \"height\": 1}");
            anns.Add("{\"id\": 999, \"image_id\": 99, \"caption\": \"a lost image\"}");
            string json = Path.Combine(dir, "captions.json");
            File.WriteAllText(json, $"{{\"images\": [{string.Join(",", imgs)}], \"annotations\": [{string.Join(",", anns)}]}}");
            var ds = CaptionDataSources.Load(json, quick: false);
            Assert.AreEqual(10, ds.Train.Count);
            Assert.AreEqual(2, ds.Val.Count);
            CollectionAssert.AreEqual(new[] { "1", "11" }, ds.Val.Select(v => v.Id).ToArray());
            Assert.AreEqual(scenes.Train[0].Captions[0], ds.Val[0].Captions[0]);
            Assert.IsTrue(ds.Notes.Any(n => n.Contains("gone.png")), string.Join(" | ", ds.Notes));
            Assert.ThrowsExactly<FileNotFoundException>(() => CaptionDataSources.Load(Path.Combine(dir, "nope.json"), false));
        }
        finally { Directory.Delete(dir, true); }
    }
}
