using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ipg;
using Ipg.Encoders;
using Ipg.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RecommenderService.Tests;

/// <summary>The sample service swaps its model when a new one is moved onto the watched file, while it serves.</summary>
public sealed class ModelSwapTests : IDisposable
{
    private static readonly string TinyV1 = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sasrec-tiny.onnx");
    private static readonly string TinyV2 = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sasrec-tiny-v2.onnx");
    private readonly string _folder = Directory.CreateTempSubdirectory("ipg-service-swap-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Version(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..16];

    /// <summary>What the library answers directly on <paramref name="path"/>'s model (with the service's encoder options), as (item, r) pairs.</summary>
    private static (int, float)[] Direct(string path, OnnxSasRecEncoderOptions options, int[] history, int target, int k)
    {
        using var encoder = OnnxSasRecEncoder.Load(path, options);
        var reranker = new IpgReranker(encoder);
        return reranker.Recommend(history, reranker.PrepareTarget(target), k, excludedItems: history).Select(r => (r.ItemId, r.Score)).ToArray();
    }

    [Fact]
    public void A_model_that_cannot_be_loaded_fails_start_up_not_the_first_request()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("Ipg:ModelPath", Path.Combine(_folder, "missing.onnx")));
        FluentActions.Invoking(() => factory.CreateClient()).Should().Throw<FileNotFoundException>().WithMessage("*missing.onnx*");
    }

    [Fact]
    public async Task Requests_during_swaps_all_succeed_and_each_response_matches_the_model_version_it_names()
    {
        string path = Path.Combine(_folder, "model.onnx");
        File.Copy(TinyV1, path);
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("Ipg:ModelPath", path)
            .UseSetting("Ipg:WatchModelFile", "true")
            .UseSetting("Ipg:ModelPollInterval", "00:00:00.1"));
        var client = factory.CreateClient();
        int[] history = [3, 17, 42];
        var encoderOptions = factory.Services.GetRequiredService<IOptions<IpgServiceOptions>>().Value.Encoder;
        var expected = new Dictionary<string, (int, float)[]>
        {
            [Version(TinyV1)] = Direct(TinyV1, encoderOptions, history, 7, 5),
            [Version(TinyV2)] = Direct(TinyV2, encoderOptions, history, 7, 5),
        };
        expected[Version(TinyV1)].Should().NotEqual(expected[Version(TinyV2)], "the two models must be told apart by their answers");

        var models = factory.Services.GetRequiredService<IpgModelProvider>();
        var seen = new HashSet<string>();
        string[] sources = [TinyV2, TinyV1, TinyV2, TinyV1];
        int swap = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (swap < sources.Length && DateTime.UtcNow < deadline)
        {
            using var response = await client.PostAsync("/recommendations", new StringContent("""{"target": 7, "history": [3, 17, 42], "k": 5}""", Encoding.UTF8, "application/json"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            string version = body.GetProperty("modelVersion").GetString()!;
            response.Headers.GetValues("X-Model-Version").Should().Equal([version], "header and body name the same model");
            body.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("item").GetInt32(), i.GetProperty("r").GetSingle()))
                .Should().Equal(expected[version], $"the response comes entirely from model {version}");
            seen.Add(version);

            if (models.Current.Version == Version(path))
            {
                // The last swap has landed: stage the next model and move it into place.
                string staged = Path.Combine(_folder, "staged.onnx");
                File.Copy(sources[swap], staged, overwrite: true);
                File.SetLastWriteTimeUtc(staged, DateTime.UtcNow.AddMinutes(swap + 1));
                File.Move(staged, path, overwrite: true);
                swap++;
            }
        }

        swap.Should().Be(sources.Length, "every staged model was swapped in within the time");
        seen.Should().BeEquivalentTo([Version(TinyV1), Version(TinyV2)]);
        SpinWait.SpinUntil(() => models.Current.Version == Version(TinyV1) && models.LiveModels == 1, TimeSpan.FromSeconds(10));
        models.Current.Version.Should().Be(Version(TinyV1));
        models.LiveModels.Should().Be(1, "every replaced model was retired (the service never pins the start-up model)");

        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        health.GetProperty("modelGeneration").GetInt64().Should().Be(1 + sources.Length);
    }
}
