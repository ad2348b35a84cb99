using Ipg.Simulation.Worlds;

namespace Ipg.Simulation.Tests.Worlds;

public sealed class ItemMetadataReaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ipg-meta-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void MovieLens_genres_take_the_first_genre_in_both_separators_and_follow_the_item_map()
    {
        var movies = Write("movies.dat", "1;Toy Story (1995);Animation|Children's|Comedy\n2::Heat; The Sequel (1995)::Action|Crime\n3;Other;Drama\n");
        ItemMetadataReader.ReadMovieLens1MGenres(movies).Should().BeEquivalentTo(new Dictionary<long, string>
        {
            [1] = "Animation", [2] = "Action", [3] = "Drama",
        });

        var map = Write("map.txt", "10 2\n11 1\n12 99\n");
        ItemMetadataReader.ReadMovieLens1MGenres(movies, map).Should().BeEquivalentTo(new Dictionary<long, string>
        {
            [10] = "Action", [11] = "Animation",
        });
    }

    [Fact]
    public void MovieLens_format_errors_name_file_and_line()
    {
        var movies = Write("movies.dat", "1;A;Drama\nno separator here\n");
        FluentActions.Invoking(() => ItemMetadataReader.ReadMovieLens1MGenres(movies))
            .Should().Throw<InvalidDataException>().Which.Message.Should().StartWith("movies.dat line 2: expected \"id;title;Genre|Genre\"");

        var map = Write("map.txt", "1 1\n2 x\n");
        FluentActions.Invoking(() => ItemMetadataReader.ReadMovieLens1MGenres(Write("ok.dat", "1;A;Drama\n"), map))
            .Should().Throw<InvalidDataException>().Which.Message.Should().StartWith("map.txt line 2: expected two integers");
    }

    [Fact]
    public void LastFm_attributes_take_the_most_frequent_with_ties_to_the_first_listed()
    {
        var json = Write("attrs.json", "{\"1\": [5, 7, 7, 5, 9, 7], \"2\": [3, 4, 4, 3], \"3\": []}");
        ItemMetadataReader.ReadLastFmAttributes(json).Should().BeEquivalentTo(new Dictionary<long, string>
        {
            [1] = "attribute 7", [2] = "attribute 3",
        });
    }

    [Theory]
    [InlineData("[1, 2]", "attrs.json: expected a JSON object")]
    [InlineData("{\"a\": [1]}", "attrs.json: expected an integer item id")]
    [InlineData("{\"1\": [\"rock\"]}", "attrs.json: item 1: expected integer attributes")]
    [InlineData("{\"1\": [1,", "attrs.json: not valid JSON")]
    public void LastFm_errors_say_what_was_expected(string text, string message)
    {
        var json = Write("attrs.json", text);
        FluentActions.Invoking(() => ItemMetadataReader.ReadLastFmAttributes(json))
            .Should().Throw<InvalidDataException>().Which.Message.Should().StartWith(message);
    }
}
