using Microsoft.AspNetCore.Http.HttpResults;

namespace LambdaRecon.Api.Problems;

/// <summary>
/// RFC 9457 answers with a stable <c>type</c> per kind of refusal, a <c>detail</c> a person can act on,
/// and, where one field is at fault, its name in <c>field</c>.
/// </summary>
public static class Problem
{
    public const string TypeBase = "https://lambdarecon.dev/problems/";

    public static ProblemHttpResult Of(int status, string type, string title, string detail, string? field = null,
        IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>());
        if (field is not null)
        {
            all["field"] = field;
        }

        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: all);
    }

    public static ProblemHttpResult Validation(string field, string detail) =>
        Of(StatusCodes.Status400BadRequest, "validation", "The request is not valid", detail, field);

    public static ProblemHttpResult MalformedJson(string detail) =>
        Of(StatusCodes.Status400BadRequest, "malformed-json", "The body is not valid JSON", detail);

    public static ProblemHttpResult NotFound(string what, string detail) =>
        Of(StatusCodes.Status404NotFound, "not-found", $"{what} not found", detail);

    public static ProblemHttpResult Unprocessable(string type, string title, string detail, string? field = null) =>
        Of(StatusCodes.Status422UnprocessableEntity, type, title, detail, field);
}
