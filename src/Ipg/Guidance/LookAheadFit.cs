using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ipg.Guidance;

/// <summary>
/// A look-ahead fitted to one encoder (<c>ipg fit</c>, or <c>LookAheadFitter.Fit</c> in <c>Ipg.Simulation</c>): the
/// affine move <c>ENC(s ⊕ i) ≈ A·ENC(s) + B·ê_i</c> that <see cref="LinearGuidance.Affine"/> scores with, and,
/// when the fit had an impression log, an <see cref="AcceptanceCalibration"/> for p̂. Saved as a small versioned JSON
/// sidecar beside the model (<c>docs/guidance.md</c>, "The fit file"), bound to the model by its item table's
/// SHA-256, and validated on load.
/// </summary>
public sealed record LookAheadFit
{
    /// <summary>The file format this version writes and reads (<c>"format": "ipg-look-ahead-fit"</c>, <c>"version": 1</c>).</summary>
    public const int FormatVersion = 1;

    private const string FormatName = "ipg-look-ahead-fit";

    /// <summary>Items of the encoder the fit belongs to.</summary>
    public required int ItemCount { get; init; }

    /// <summary>Embedding dimension of that encoder.</summary>
    public required int Dimension { get; init; }

    /// <summary>SHA-256 (lowercase hex) of that encoder's item table (<see cref="ComputeItemTableSha256"/>).</summary>
    public required string ItemTableSha256 { get; init; }

    /// <summary>a: the coefficient of ENC(s) in the fitted move.</summary>
    public required double A { get; init; }

    /// <summary>b: the coefficient of ê_i in the fitted move (positive).</summary>
    public required double B { get; init; }

    /// <summary>The fitted acceptance estimate, or null when the fit had no impressions (p̂ stays the encoder's).</summary>
    public AcceptanceCalibration? Acceptance { get; init; }

    /// <summary>How the fit did in sample and on held-out users (informational; recorded so a reader can judge it).</summary>
    public required LookAheadFitValidation Validation { get; init; }

    /// <summary>Free text: what produced the file (command line, data, seed).</summary>
    public string Producer { get; init; } = "";

    /// <summary>The guidance model this fit defines: <see cref="LinearGuidance.Affine"/>(A, B).</summary>
    public LinearGuidance Guidance => LinearGuidance.Affine((float)A, (float)B);

    /// <summary>
    /// <paramref name="options"/> with this fit's guidance model and, when the fit has one, its acceptance
    /// calibration (strength, negative-guidance policy and everything else kept).
    /// </summary>
    /// <param name="options">The options to start from; <see cref="IpgOptions.Default"/> when null.</param>
    /// <returns>The options.</returns>
    public IpgOptions ApplyTo(IpgOptions? options = null)
    {
        options ??= IpgOptions.Default;
        return options with { Guidance = Guidance, Acceptance = Acceptance ?? options.Acceptance };
    }

    /// <summary>Throws unless this fit was made for <paramref name="encoder"/> (same item count, dimension and item table).</summary>
    /// <param name="encoder">The encoder the re-ranker runs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is null.</exception>
    /// <exception cref="InvalidDataException">The fit belongs to another model; the message says what differs.</exception>
    public void EnsureMatches(ISequentialEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (encoder.ItemCount != ItemCount || encoder.Dimension != Dimension)
        {
            throw new InvalidDataException($"The look-ahead fit is for a model with {ItemCount} items × d {Dimension}; this encoder has {encoder.ItemCount} × {encoder.Dimension}. Re-run `ipg fit` for this model.");
        }

        string actual = ComputeItemTableSha256(encoder.ItemEmbeddings);
        if (!string.Equals(actual, ItemTableSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"The look-ahead fit is for a model whose item table has sha256 {ItemTableSha256}; this encoder's is {actual} (another model of the same shape, or a retrained one). Re-run `ipg fit` for this model.");
        }
    }

    /// <summary>SHA-256 (lowercase hex) of an item table's rows (padding row included), as little-endian float32 bytes.</summary>
    /// <param name="items">The table.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    public static string ComputeItemTableSha256(ItemEmbeddingTable items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(items.Rows))).ToLowerInvariant();
    }

    /// <summary>Checks every field (what <see cref="Read"/> runs after parsing).</summary>
    /// <exception cref="InvalidDataException">A field is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ItemCount < 1 || Dimension < 1)
        {
            throw new InvalidDataException($"The look-ahead fit's items ({ItemCount}) and dimension ({Dimension}) must be positive.");
        }

        if (ItemTableSha256 is null || ItemTableSha256.Length != 64 || !ItemTableSha256.All(Uri.IsHexDigit))
        {
            throw new InvalidDataException("The look-ahead fit's item_table_sha256 must be 64 hex digits.");
        }

        if (!double.IsFinite(A) || !double.IsFinite(B) || !(B > 0))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The look-ahead fit's move needs a finite a and a finite, positive b; got a = {A}, b = {B}."));
        }

        try
        {
            Acceptance?.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException("The look-ahead fit's acceptance calibration is invalid: " + e.Message, e);
        }
    }

    /// <summary>Writes the fit as JSON (UTF-8, indented).</summary>
    /// <param name="stream">The destination.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Validate();
        var v = Validation;
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["producer"] = Producer,
            ["item_count"] = ItemCount,
            ["dimension"] = Dimension,
            ["item_table_sha256"] = ItemTableSha256,
            ["affine"] = new JsonObject { ["a"] = A, ["b"] = B },
            ["acceptance"] = Acceptance is { } c ? new JsonObject { ["function"] = "sigmoid", ["scale"] = c.Scale, ["bias"] = c.Bias } : null,
            ["validation"] = new JsonObject
            {
                ["fit_users"] = v.FitUsers,
                ["held_out_users"] = v.HeldOutUsers,
                ["fit_pairs"] = v.FitPairs,
                ["held_out_pairs"] = v.HeldOutPairs,
                ["residual_in_sample"] = Finite(v.ResidualInSample),
                ["residual_held_out"] = Finite(v.ResidualHeldOut),
                ["residual_held_out_paper_linear"] = Finite(v.ResidualHeldOutLinear),
                ["impressions_fit"] = v.FitImpressions,
                ["impressions_held_out"] = v.HeldOutImpressions,
                ["log_loss_held_out"] = Finite(v.LogLossHeldOut),
                ["log_loss_held_out_uncalibrated"] = Finite(v.LogLossHeldOutUncalibrated),
            },
        };
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteTo(writer);
    }

    /// <summary>Writes the fit to a file (replacing it).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.Create(path);
        Write(stream);
    }

    /// <summary>Reads and validates a fit file.</summary>
    /// <param name="stream">The JSON.</param>
    /// <returns>The fit.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="InvalidDataException">Not a fit file, an unsupported version, a missing or invalid field.</exception>
    public static LookAheadFit Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }

        // System.Text.Json checks UTF-8 and duplicate keys only when a value is first read (InvalidOperationException,
        // ArgumentException from deep inside); the hostile-file corpus found both. Check them here, up front.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new InvalidDataException("The look-ahead fit is not valid UTF-8 text.");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 8 });
            EnsureUniqueKeys(root);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The look-ahead fit is not valid JSON: " + e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("The look-ahead fit holds a key twice: " + e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException("The look-ahead fit holds an invalid key: " + e.Message, e);
        }

        try
        {
            return FromJson(root);
        }
        catch (InvalidOperationException e)
        {
            // A string that is not valid UTF-16 once its escapes are decoded (e.g. a lone surrogate "\ud800").
            throw new InvalidDataException("The look-ahead fit holds an invalid string: " + e.Message, e);
        }
    }

    /// <summary>Enumerates every object, which makes System.Text.Json build its key table and throw on a duplicate key.</summary>
    private static void EnsureUniqueKeys(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                {
                    EnsureUniqueKeys(value);
                }

                break;
            case JsonArray a:
                foreach (var value in a)
                {
                    EnsureUniqueKeys(value);
                }

                break;
        }
    }

    private static LookAheadFit FromJson(JsonNode? root)
    {
        if (root is not JsonObject o || (string?)Get(o, "format", JsonValueKind.String) != FormatName)
        {
            throw new InvalidDataException($"Not a look-ahead fit file (expected \"format\": \"{FormatName}\").");
        }

        int version = (int)(double)Get(o, "version", JsonValueKind.Number)!;
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"The look-ahead fit has version {version}; this Ipg reads version {FormatVersion}.");
        }

        var affine = Get(o, "affine", JsonValueKind.Object)!.AsObject();
        AcceptanceCalibration? acceptance = null;
        if (o["acceptance"] is JsonObject c)
        {
            if ((string?)Get(c, "function", JsonValueKind.String) != "sigmoid")
            {
                throw new InvalidDataException("The look-ahead fit's acceptance function must be \"sigmoid\".");
            }

            acceptance = new AcceptanceCalibration((float)Number(c, "scale"), (float)Number(c, "bias"));
        }

        var v = o["validation"] as JsonObject ?? [];
        var fit = new LookAheadFit
        {
            ItemCount = Count(o, "item_count"),
            Dimension = Count(o, "dimension"),
            ItemTableSha256 = (string)Get(o, "item_table_sha256", JsonValueKind.String)!,
            A = Number(affine, "a"),
            B = Number(affine, "b"),
            Acceptance = acceptance,
            Producer = o["producer"] is JsonValue p && p.GetValueKind() == JsonValueKind.String ? (string)p! : "",
            Validation = new LookAheadFitValidation(
                (int)Optional(v, "fit_users"),
                (int)Optional(v, "held_out_users"),
                (long)Optional(v, "fit_pairs"),
                (long)Optional(v, "held_out_pairs"),
                Optional(v, "residual_in_sample"),
                Optional(v, "residual_held_out"),
                Optional(v, "residual_held_out_paper_linear"),
                (long)Optional(v, "impressions_fit"),
                (long)Optional(v, "impressions_held_out"),
                Optional(v, "log_loss_held_out"),
                Optional(v, "log_loss_held_out_uncalibrated")),
        };
        fit.Validate();
        return fit;
    }

    /// <summary>Reads and validates a fit file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The fit.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid fit.</exception>
    public static LookAheadFit Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <summary>Reads a fit file and checks that it belongs to <paramref name="encoder"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="encoder">The encoder the re-ranker runs.</param>
    /// <returns>The fit.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid fit, or is for another model.</exception>
    public static LookAheadFit Load(string path, ISequentialEncoder encoder)
    {
        var fit = Load(path);
        fit.EnsureMatches(encoder);
        return fit;
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static JsonNode? Get(JsonObject o, string name, JsonValueKind kind)
    {
        var node = o[name];
        if (node is null || node.GetValueKind() != kind)
        {
            throw new InvalidDataException($"The look-ahead fit needs \"{name}\" ({kind.ToString().ToLowerInvariant()}).");
        }

        return node;
    }

    private static double Number(JsonObject o, string name) => (double)Get(o, name, JsonValueKind.Number)!;

    /// <summary>A positive whole number that fits an int (the corpus found <c>checked((int)1e300)</c>'s OverflowException).</summary>
    private static int Count(JsonObject o, string name)
    {
        double value = Number(o, name);
        if (!(value >= 1 && value <= int.MaxValue) || Math.Floor(value) != value)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The look-ahead fit's \"{name}\" must be positive and whole (at most {int.MaxValue}); got {value}."));
        }

        return (int)value;
    }

    private static double Optional(JsonObject o, string name) =>
        o[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? (double)value : double.NaN;
}

/// <summary>How a <see cref="LookAheadFit"/> did: users are split into a fit set and a held-out set before fitting.</summary>
/// <param name="FitUsers">Users whose histories were fitted.</param>
/// <param name="HeldOutUsers">Users held out.</param>
/// <param name="FitPairs">(history, candidate) moves fitted.</param>
/// <param name="HeldOutPairs">Moves of held-out users the residuals below are computed on.</param>
/// <param name="ResidualInSample">Relative residual of the fitted move on the fit pairs (0 = exact, 1 = no better than no move).</param>
/// <param name="ResidualHeldOut">The same on the held-out pairs.</param>
/// <param name="ResidualHeldOutLinear">The paper's linear move (γ = 0.8) on the held-out pairs, for comparison.</param>
/// <param name="FitImpressions">Impressions the acceptance calibration was fitted on (0 without an impression log).</param>
/// <param name="HeldOutImpressions">Impressions of held-out users.</param>
/// <param name="LogLossHeldOut">Log-loss of the calibrated p̂ on held-out impressions (NaN without).</param>
/// <param name="LogLossHeldOutUncalibrated">Log-loss of the encoder's own p̂ on the same impressions.</param>
public sealed record LookAheadFitValidation(
    int FitUsers,
    int HeldOutUsers,
    long FitPairs,
    long HeldOutPairs,
    double ResidualInSample,
    double ResidualHeldOut,
    double ResidualHeldOutLinear,
    long FitImpressions,
    long HeldOutImpressions,
    double LogLossHeldOut,
    double LogLossHeldOutUncalibrated);
