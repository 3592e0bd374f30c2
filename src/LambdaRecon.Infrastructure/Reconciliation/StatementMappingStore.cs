using System.Text.Json;
using LambdaRecon.Core.Statements;
using Npgsql;

namespace LambdaRecon.Infrastructure.Reconciliation;

/// <summary>A tenant's CSV mapping as stored: its name, its JSON definition, who created it and when.</summary>
public sealed record StoredMapping(string Name, JsonElement Definition, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// CSV mappings a tenant defines for its statement exports, by name. Another tenant's mapping is
/// answered as a missing one; the built-in mappings are everyone's and cannot be shadowed.
/// </summary>
public sealed class StatementMappingStore(NpgsqlDataSource dataSource)
{
    /// <summary>Stores a definition already checked by <see cref="CsvMappingDefinition.TryRead"/>; null when the tenant has the name already.</summary>
    public async Task<StoredMapping?> CreateAsync(string tenantId, string name, JsonElement definition, string createdBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO statement_mappings (tenant_id, name, definition, created_by)
            VALUES (@tenant, @name, @definition::jsonb, @by)
            ON CONFLICT (tenant_id, name) DO NOTHING
            RETURNING name, definition::text, created_by, created_at
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("definition", definition.GetRawText());
        command.Parameters.AddWithValue("by", createdBy);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<StoredMapping>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT name, definition::text, created_by, created_at FROM statement_mappings
            WHERE tenant_id = @tenant ORDER BY name
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var mappings = new List<StoredMapping>();
        while (await reader.ReadAsync(cancellationToken))
        {
            mappings.Add(Read(reader));
        }

        return mappings;
    }

    /// <returns>Null for an unknown name and for another tenant's mapping.</returns>
    public async Task<StoredMapping?> GetAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT name, definition::text, created_by, created_at FROM statement_mappings
            WHERE tenant_id = @tenant AND name = @name
            """);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// The mapping an import names: a built-in one (any letter case) or one of the tenant's. Null with the
    /// reason, naming what exists, when there is none.
    /// </summary>
    public async Task<(CsvMapping? Mapping, string? Error)> ResolveAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        if (CsvMapping.Named(name) is { } builtIn)
        {
            return (builtIn, null);
        }

        if (await GetAsync(tenantId, name, cancellationToken) is { } stored)
        {
            // Checked when stored; a definition an older version accepted and this one does not is still named.
            return CsvMappingDefinition.TryRead(stored.Name, stored.Definition, out var mapping, out var fault)
                ? (mapping, null)
                : (null, $"stored mapping '{name}' is no longer valid ({fault!.Field}: {fault.Reason}): create it again under another name");
        }

        var own = await ListAsync(tenantId, cancellationToken);
        return (null, $"unknown mapping '{name}': the built-in mappings are {string.Join(", ", CsvMapping.BuiltInNames)}"
            + (own.Count == 0 ? "; this tenant has stored none" : $"; this tenant's are {string.Join(", ", own.Select(m => m.Name))}"));
    }

    private static StoredMapping Read(NpgsqlDataReader reader)
    {
        using var definition = JsonDocument.Parse(reader.GetString(1));
        return new StoredMapping(reader.GetString(0), definition.RootElement.Clone(), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));
    }
}
