// file.read / file.write: files under the folders the user allowed in the setting
// "tools.files.allowed_folders", and nowhere else — symbolic links and ".." are resolved before
// the check, so neither leads out of an allowed folder.
#pragma once

#include "EnvironmentTool.h"

#include <memory>

namespace ordinaut {

class FileReadTool final : public EnvironmentTool
{
public:
    static constexpr qint64 kDefaultMaxBytes = 10 * 1024 * 1024;

    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("file.read"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

class FileWriteTool final : public EnvironmentTool
{
public:
    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("file.write"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
