// file.read / file.write: files under the folders the user allowed in the setting
// "tools.files.allowed_folders", and nowhere else — symbolic links and ".." are resolved before
// the check, so neither leads out of an allowed folder.
#pragma once

#include "Tool.h"

#include <memory>

namespace ordinaut {

class ToolEnvironment;

class FileReadTool final : public Tool
{
public:
    static constexpr qint64 kDefaultMaxBytes = 10 * 1024 * 1024;

    explicit FileReadTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("file.read"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

class FileWriteTool final : public Tool
{
public:
    explicit FileWriteTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("file.write"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

} // namespace ordinaut
