using System.Text.RegularExpressions;
using Npgsql;

namespace LambdaRecon.Infrastructure.Tenants;

public sealed record Tenant(string TenantId, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// Tenants: every API key and every account belongs to one, and a key sees and moves only its own
/// tenant's accounts and what hangs off them. Admin keys create tenants and keys for them.
/// </summary>
public sealed partial class TenantStore(NpgsqlDataSource dataSource)
{
    /// <summary>Where everything made before tenants existed lives, and every key created without a tenant.</summary>
    public const string Default = "default";

    /// <summary>The account id pattern, shortened so that <see cref="SuspenseAccountId"/> stays an account id.</summary>
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,32}$")]
    public static partial Regex IdPattern();

    public const string IdRule = "1 to 32 characters of A-Z a-z 0-9 . _ : -";

    /// <summary>
    /// The account a tenant's reconciliation adjustments in <paramref name="currency"/> are booked against.
    /// The default tenant keeps the id it had before tenants ("suspense:USD"). Ids starting "suspense:"
    /// are the engine's: the API opens none, so no tenant can take another's.
    /// </summary>
    public static string SuspenseAccountId(string tenantId, string currency) =>
        tenantId == Default ? "suspense:" + currency : $"suspense:{currency}:{tenantId}";

    public const string ReservedAccountPrefix = "suspense:";

    /// <returns>The new tenant, or null when the id is taken.</returns>
    public async Task<Tenant?> CreateAsync(string id, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO tenants (id, name) VALUES (@id, @name) ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<Tenant?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, name, created_at FROM tenants WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<Tenant>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, name, created_at FROM tenants ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tenants = new List<Tenant>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tenants.Add(Read(reader));
        }

        return tenants;
    }

    private static Tenant Read(NpgsqlDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2));
}
