using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ipg;
using Ipg.Encoders;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RecommenderService.Tests;

/// <summary>The sample service hosted in memory: one host (one model load) for the class.</summary>
public sealed class ServiceFixture : IDisposable
{
    public WebApplicationFactory<Program> Factory { get; } = new();

    public HttpClient Client => Factory.CreateClient();

    public void Dispose() => Factory.Dispose();
}

/// <summary>
/// <c>POST /recommendations</c> of samples/RecommenderService: every malformed request gets a problem-details answer
/// naming the field and the problem, the limits are enforced with messages naming them, and every response carries the
/// model version. The embedded default model (N = 3,533) with the sample's appsettings.json (K ≤ 100, history ≤ 1,000,
/// body ≤ 64 KiB).
/// </summary>
public sealed class RecommendationsEndpointTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private static readonly string s_modelSha256 = EmbeddedModelSha256();

    [Fact]
    public async Task A_valid_request_gets_the_library_s_ranking_and_the_model_version()
    {
        using var response = await Post("""{"target": 2277, "history": [12, 873, 2544], "k": 5}""");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("X-Model-Version").Should().Equal(s_modelSha256[..16]);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("modelVersion").GetString().Should().Be(s_modelSha256[..16]);
        body.GetProperty("target").GetInt32().Should().Be(2277);
        body.GetProperty("k").GetInt32().Should().Be(5);

        // The same call on the library directly, over the service's own re-ranker.
        var reranker = fixture.Factory.Services.GetRequiredService<IpgReranker>();
        int[] history = [12, 873, 2544];
        var expected = reranker.Recommend(history, reranker.PrepareTarget(2277), 5, excludedItems: history);
        var items = body.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("item").GetInt32()).Should().Equal(expected.Select(e => e.ItemId));
        items.Select(i => i.GetProperty("r").GetSingle()).Should().Equal(expected.Select(e => e.Score));
        items.Select(i => i.GetProperty("item").GetInt32()).Should().NotIntersectWith(history);
    }

    [Fact]
    public async Task K_defaults_to_10_and_an_empty_history_or_a_demo_user_is_served()
    {
        (await Items("""{"target": 2277, "history": []}""")).Should().HaveCount(10);
        (await Items("""{"target": 2277, "userId": "alice", "k": 3}""")).Should().HaveCount(3);
        (await Items("""{"Target": 2277, "History": [5], "K": 2, "strength": 0.5}""")).Should().HaveCount(2, "field names are case-insensitive");
    }

    [Fact]
    public async Task An_empty_body_is_a_problem_details_400()
    {
        foreach (string body in new[] { "", "   \n" })
        {
            var errors = await Problem(body, HttpStatusCode.BadRequest);
            errors.Should().ContainKey("body").WhoseValue.Single().Should().Contain("empty");
        }
    }

    [Theory]
    [InlineData("{\"target\":", "Expected depth to be zero")]
    [InlineData("{\"target\": 2277,}", "not valid JSON")]
    [InlineData("{target: 2277}", "not valid JSON")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[2277]", "must be a JSON object, got an array")]
    [InlineData("2277", "must be a JSON object, got 2277")]
    public async Task Malformed_json_is_a_problem_details_400_saying_what_is_wrong(string body, string message)
    {
        var errors = await Problem(body, HttpStatusCode.BadRequest);
        errors.Should().ContainKey("body").WhoseValue.Single().Should().Contain(message);
    }

    [Theory]
    [InlineData("""{"target": "2277", "history": [1]}""", "target", "the string \"2277\"")]
    [InlineData("""{"target": 2277.5, "history": [1]}""", "target", "2277.5")]
    [InlineData("""{"target": 2277, "history": [1], "k": "10"}""", "k", "the string \"10\"")]
    [InlineData("""{"target": 2277, "history": "1 2 3"}""", "history", "must be an array")]
    [InlineData("""{"target": 2277, "history": [1, "2"]}""", "history[1]", "the string \"2\"")]
    [InlineData("""{"target": 2277, "history": [1, [2]]}""", "history[1]", "an array")]
    [InlineData("""{"target": 2277, "userId": 7}""", "userId", "non-empty string, got 7")]
    [InlineData("""{"target": 2277, "history": [1], "strength": "high"}""", "strength", "the string \"high\"")]
    [InlineData("""{"target": true, "history": [1]}""", "target", "got true")]
    public async Task A_value_of_the_wrong_type_is_a_400_naming_the_field(string body, string field, string got)
    {
        var errors = await Problem(body, HttpStatusCode.BadRequest);
        errors.Should().ContainKey(field).WhoseValue.Single().Should().Contain(got).And.Contain($"'{field}'");
    }

    [Theory]
    [InlineData("""{"history": [1, 2]}""")]
    [InlineData("""{"target": null, "history": [1, 2]}""")]
    public async Task A_missing_target_is_reported_as_missing_not_as_padding(string body)
    {
        var errors = await Problem(body, HttpStatusCode.BadRequest);
        var message = errors.Should().ContainKey("target").WhoseValue.Single();
        message.Should().Contain("'target' is required").And.NotContain("padding");
    }

    [Theory]
    [InlineData("0", "0 is padding")]
    [InlineData("3534", "1..3533")]
    [InlineData("-4", "got -4")]
    public async Task A_target_outside_the_catalogue_is_a_400(string target, string message) =>
        (await Problem($$"""{"target": {{target}}, "history": [1]}""", HttpStatusCode.BadRequest)).Should().ContainKey("target").WhoseValue.Single().Should().Contain(message);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("101")]
    [InlineData("2147483648")]
    [InlineData("1.5")]
    public async Task K_out_of_range_is_a_400_naming_the_limit(string k)
    {
        var errors = await Problem($$"""{"target": 2277, "history": [1], "k": {{k}}}""", HttpStatusCode.BadRequest);
        errors.Should().ContainKey("k").WhoseValue.Single().Should().Contain("1..100").And.Contain("Ipg:MaxResults").And.Contain(k);
    }

    [Fact]
    public async Task A_history_over_the_limit_is_a_400_naming_the_limit()
    {
        string history = string.Join(",", Enumerable.Range(1, 1001));
        var errors = await Problem($$"""{"target": 2277, "history": [{{history}}]}""", HttpStatusCode.BadRequest);
        errors.Should().ContainKey("history").WhoseValue.Single().Should().Contain("1001 items").And.Contain("limit is 1000").And.Contain("Limits:MaxHistoryLength");

        (await Items($$"""{"target": 2277, "history": [{{string.Join(",", Enumerable.Range(1, 1000))}}]}""")).Should().HaveCount(10, "1,000 items is the limit itself");
    }

    [Fact]
    public async Task Ids_outside_the_catalogue_are_named_by_position_and_at_most_five_are_listed()
    {
        var errors = await Problem("""{"target": 2277, "history": [1, 0, 3534, 5]}""", HttpStatusCode.BadRequest);
        errors.Keys.Should().BeEquivalentTo("history[1]", "history[2]");
        errors["history[1]"].Single().Should().Contain("0 is padding");

        errors = await Problem($$"""{"target": 2277, "history": [{{string.Join(",", Enumerable.Repeat(0, 50))}}]}""", HttpStatusCode.BadRequest);
        errors.Keys.Should().HaveCount(6);
        errors["history"].Single().Should().Contain("50 ids");
    }

    [Theory]
    [InlineData("""{"target": 2277, "histroy": [1]}""", "histroy", "Unknown field 'histroy'")]
    [InlineData("""{"target": 2277, "history": [1], "userId": "alice"}""", "userId", "not both")]
    [InlineData("""{"target": 2277}""", "history", "Give either 'history'")]
    [InlineData("""{"target": 2277, "target": 5, "history": [1]}""", "target", "more than once")]
    public async Task Unknown_duplicate_or_conflicting_fields_are_a_400(string body, string field, string message) =>
        (await Problem(body, HttpStatusCode.BadRequest)).Should().ContainKey(field).WhoseValue.Should().Contain(m => m.Contains(message));

    [Fact]
    public async Task A_body_over_the_size_limit_is_a_413_naming_the_limit_with_or_without_a_content_length()
    {
        string big = $$"""{"target": 2277, "history": [{{string.Join(",", Enumerable.Repeat(1, 40_000))}}]}""";
        using var response = await Post(big);
        await ShouldBeProblem(response, HttpStatusCode.RequestEntityTooLarge, "65536 bytes");

        // Chunked, without Content-Length: the body is read up to the limit and no further.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/recommendations") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var response2 = await fixture.Client.SendAsync(chunked);
        await ShouldBeProblem(response2, HttpStatusCode.RequestEntityTooLarge, "Limits:MaxRequestBodyBytes");
    }

    [Fact]
    public async Task A_body_that_is_not_json_by_its_content_type_is_a_415()
    {
        using var response = await fixture.Client.PostAsync("/recommendations", new StringContent("target=2277", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await ShouldBeProblem(response, HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Fact]
    public async Task Every_response_carries_the_model_version()
    {
        var client = fixture.Client;
        using var health = await client.GetAsync("/health");
        using var unknownUser = await Post("""{"target": 2277, "userId": "mallory"}""");
        using var invalid = await Post("{");
        using var noRoute = await client.GetAsync("/nothing-here");
        using var wrongMethod = await client.GetAsync("/recommendations");
        foreach (var response in new[] { health, unknownUser, invalid, noRoute, wrongMethod })
        {
            response.Headers.GetValues("X-Model-Version").Should().Equal([s_modelSha256[..16]], response.RequestMessage!.RequestUri!.ToString());
        }

        unknownUser.StatusCode.Should().Be(HttpStatusCode.NotFound);
        noRoute.StatusCode.Should().Be(HttpStatusCode.NotFound);
        wrongMethod.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        foreach (var problem in new[] { unknownUser, invalid, noRoute, wrongMethod })
        {
            problem.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await problem.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("modelVersion").GetString().Should().Be(s_modelSha256[..16]);
        }

        var healthBody = await health.Content.ReadFromJsonAsync<JsonElement>();
        healthBody.GetProperty("modelSha256").GetString().Should().Be(s_modelSha256);
        healthBody.GetProperty("limits").GetProperty("maxHistoryLength").GetInt32().Should().Be(1000);
    }

    private async Task<HttpResponseMessage> Post(string json) =>
        await fixture.Client.PostAsync("/recommendations", new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<List<JsonElement>> Items(string json)
    {
        using var response = await Post(json);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
    }

    private async Task<Dictionary<string, string[]>> Problem(string json, HttpStatusCode status)
    {
        using var response = await Post(json);
        var body = await ShouldBeProblem(response, status, null);
        return body.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    internal static async Task<JsonElement> ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status, string? detail)
    {
        string text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var body = JsonSerializer.Deserialize<JsonElement>(text);
        body.GetProperty("status").GetInt32().Should().Be((int)status);
        body.GetProperty("title").GetString().Should().NotBeNullOrWhiteSpace();
        body.GetProperty("detail").GetString().Should().NotBeNullOrWhiteSpace();
        if (detail is not null)
        {
            body.GetProperty("detail").GetString().Should().Contain(detail);
        }

        return body;
    }

    private static string EmbeddedModelSha256()
    {
        using var stream = SasRecDefaultModel.Open();
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>The limits come from configuration and are validated at start-up; the address is loopback unless configured.</summary>
public sealed class ServiceConfigurationTests
{
    [Fact]
    public async Task Configured_limits_are_enforced()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("Limits:MaxHistoryLength", "3")
            .UseSetting("Limits:MaxRequestBodyBytes", "100")
            .UseSetting("Limits:DefaultK", "4")
            .UseSetting("Ipg:MaxResults", "5"));
        var client = factory.CreateClient();

        async Task<HttpResponseMessage> Post(string json) => await client.PostAsync("/recommendations", new StringContent(json, Encoding.UTF8, "application/json"));

        using (var ok = await Post("""{"target": 2277, "history": [1, 2, 3]}"""))
        {
            ok.StatusCode.Should().Be(HttpStatusCode.OK);
            (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").GetArrayLength().Should().Be(4, "Limits:DefaultK");
        }

        using (var tooLong = await Post("""{"target": 2277, "history": [1, 2, 3, 4]}"""))
        {
            (await RecommendationsEndpointTests.ShouldBeProblem(tooLong, HttpStatusCode.BadRequest, "limit is 3")).GetProperty("errors").GetProperty("history").GetArrayLength().Should().Be(1);
        }

        using (var bigK = await Post("""{"target": 2277, "history": [1], "k": 6}"""))
        {
            await RecommendationsEndpointTests.ShouldBeProblem(bigK, HttpStatusCode.BadRequest, "1..5");
        }

        using (var big = await Post($$"""{"target": 2277, "history": [1], "k": 1, "userId": "{{new string('x', 80)}}"}"""))
        {
            await RecommendationsEndpointTests.ShouldBeProblem(big, HttpStatusCode.RequestEntityTooLarge, "100 bytes");
        }

        var limits = factory.Services.GetRequiredService<IOptions<ServiceLimits>>().Value;
        limits.MaxHistoryLength.Should().Be(3);
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_problem_details_500_with_the_model_version_and_no_stack_trace()
    {
        // A demo user whose stored history holds padding (a broken store): the library throws inside the endpoint.
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b.UseSetting("DemoUsers:eve:0", "0"));
        var client = factory.CreateClient();
        using var response = await client.PostAsync("/recommendations", new StringContent("""{"target": 2277, "userId": "eve"}""", Encoding.UTF8, "application/json"));

        string text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        response.Headers.Contains("X-Model-Version").Should().BeTrue();
        var body = JsonSerializer.Deserialize<JsonElement>(text);
        body.GetProperty("modelVersion").GetString().Should().HaveLength(16);
        text.Should().NotContain("   at ").And.NotContain("ArgumentOutOfRangeException");
    }

    [Theory]
    [InlineData("Limits:MaxHistoryLength", "0")]
    [InlineData("Limits:MaxRequestBodyBytes", "10")]
    [InlineData("Limits:DefaultK", "-1")]
    public void Limits_out_of_range_fail_at_start_up(string key, string value)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b.UseSetting(key, value));
        FluentActions.Invoking(() => factory.CreateClient()).Should().Throw<OptionsValidationException>().WithMessage($"*{key.Split(':')[1]}*");
    }

    [Fact]
    public void The_default_address_is_loopback_and_any_standard_setting_replaces_it()
    {
        var uri = new Uri(ServiceAddress.Default);
        IPAddress.IsLoopback(IPAddress.Parse(uri.Host)).Should().BeTrue();

        static bool Configured(params (string Key, string Value)[] settings) => ServiceAddress.IsConfigured(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

        Configured().Should().BeFalse();
        Configured(("urls", "http://127.0.0.1:6000")).Should().BeTrue("ASPNETCORE_URLS and --urls both arrive as 'urls'");
        Configured(("URLS", "http://127.0.0.1:6000")).Should().BeTrue();
        Configured(("http_ports", "8080")).Should().BeTrue("ASPNETCORE_HTTP_PORTS, as container images set it");
        Configured(("https_ports", "8443")).Should().BeTrue();
        Configured(("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:6001")).Should().BeTrue();
        Configured(("urls", " ")).Should().BeFalse();
    }
}
