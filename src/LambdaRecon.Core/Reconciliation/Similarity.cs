namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// How alike two counterparty-and-description texts are, as an integer percentage: the Jaccard index
/// of their distinct words (runs of two or more letters or digits, case folded), rounded down.
/// Legal forms (GmbH, Ltd, B.V., Inc, LLC, S.A., AG…) are no part of a name and are dropped, and so
/// are the single letters they leave when dotted: "ACME GMBH invoice 1001" against "Acme GmbH" is
/// 1 shared of 3 distinct words: 33; "Globex B.V." against "GLOBEX" is 100.
/// </summary>
internal static class Similarity
{
    private static readonly HashSet<string> LegalForms = new(StringComparer.Ordinal)
    {
        "AB", "AG", "AS", "ASA", "BV", "BVBA", "CO", "CORP", "CORPORATION", "GMBH", "INC", "INCORPORATED", "KG", "KGAA", "LIMITED", "LLC",
        "LLP", "LP", "LTD", "NV", "OHG", "OY", "OYJ", "PLC", "PTY", "SA", "SAS", "SARL", "SE", "SL", "SPA", "SRL", "UG",
    };

    public static string[] Words(string? counterparty, string? description)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        Add(counterparty, words);
        Add(description, words);
        return [.. words];
    }

    /// <summary>0 when either side has no words: no evidence either way.</summary>
    public static int Percent(string[] left, string[] right)
    {
        if (left.Length == 0 || right.Length == 0)
        {
            return 0;
        }

        // Both sorted: one merge pass counts the shared words.
        int i = 0, j = 0, shared = 0;
        while (i < left.Length && j < right.Length)
        {
            var order = string.CompareOrdinal(left[i], right[j]);
            shared += order == 0 ? 1 : 0;
            i += order <= 0 ? 1 : 0;
            j += order >= 0 ? 1 : 0;
        }

        return shared * 100 / (left.Length + right.Length - shared);
    }

    private static void Add(string? text, SortedSet<string> words)
    {
        if (text is null)
        {
            return;
        }

        // Dots inside a legal form join its letters ("B.V.", "S.A."): drop them before splitting.
        text = text.Replace(".", "", StringComparison.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                start = start < 0 ? i : start;
                continue;
            }

            if (start >= 0 && i - start >= 2 && text[start..i].ToUpperInvariant() is var word && !LegalForms.Contains(word))
            {
                words.Add(word);
            }

            start = -1;
        }
    }
}
